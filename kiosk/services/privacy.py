"""Personal data helpers: masking and hashing of residents' identifiers."""

import hashlib
import hmac
import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def is_mobile_number(value: str) -> bool:
    """Return whether value is a mainland China mobile number (11 digits starting 13–19)."""
    return bool(_MOBILE.match(value))


def mask_phone(phone: str | None) -> str:
    """Return phone as 138****1234; empty string for none."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def device_hash(secret_key: str, device_id: str) -> str:
    """Return a keyed hash of a device identifier, so raw identifiers are never stored."""
    return hmac.new(secret_key.encode(), device_id.encode(), hashlib.sha256).hexdigest()[:40]
