"""Personal data helpers: masking and hashing of residents' identifiers."""

import hashlib
import hmac
import re
from collections.abc import Callable

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# A phone number inside free text: a mobile number (1[3-9] and nine more digits, optionally
# 86/+86/0086 before it and a space or dash after the third and seventh digit: 138 1234 5678),
# or a landline (area code 0 and two or three digits, in brackets or not, optionally a space
# or dash, then seven or eight digits: 010-12345678, 0755 1234567). Full-width digits and
# separators count too (phone keyboards type them). Never part of a longer run of digits, so
# order numbers and dates are left alone.
_D = "[0-9０-９]"
_SEP = "[ \\-　－]"
_PHONE_IN_TEXT = re.compile(
    f"(?<!{_D})(?:"
    f"(?:(?:[+＋]|00)?86{_SEP}?)?[1１][3-9３-９]{_D}{_SEP}?{_D}{{4}}{_SEP}?{_D}{{4}}"
    f"|[(（]?[0０]{_D}{{2,3}}[)）]?{_SEP}?{_D}{{7,8}}"
    f")(?!{_D})"
)
ERASED = "[已删除]"  # stored in the resident's text in place of an erased number


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


def replace_phone_numbers(text: str, replacement: Callable[[str], str]) -> str:
    """Return text with each phone number in it replaced by replacement(its digits).

    The one place that finds phone numbers in free text: display masking, notifications
    and erasure all go through it.
    """
    return _PHONE_IN_TEXT.sub(lambda match: replacement(_digits(match.group())), text or "")


def has_phone_number(text: str | None) -> bool:
    """Return whether free text contains a phone number (as replace_phone_numbers finds them)."""
    return _PHONE_IN_TEXT.search(text or "") is not None


def _digits(number: str) -> str:
    # The number's ASCII digits, without the country code: 13812345678, 01012345678.
    digits = "".join(str(int(c)) for c in number if c.isdecimal())
    return digits[-11:] if digits.startswith(("86", "0086")) and len(digits) > 11 else digits


def mask_phone_numbers(text: str | None) -> str:
    """Return free text with each phone number in it masked as mask_phone does (138****5678)."""
    return replace_phone_numbers(text or "", mask_phone)


def hide_phone_numbers(text: str | None) -> str:
    """Return free text with each phone number in it shown as stars only."""
    return replace_phone_numbers(text or "", lambda digits: "*" * len(digits))


def erase_phone_numbers(text: str | None) -> str:
    """Return free text with each phone number in it replaced by ERASED."""
    return replace_phone_numbers(text or "", lambda digits: ERASED)


def device_hash(secret_key: str, device_id: str) -> str:
    """Return a keyed hash of a device identifier, so raw identifiers are never stored."""
    return hmac.new(secret_key.encode(), device_id.encode(), hashlib.sha256).hexdigest()[:40]
