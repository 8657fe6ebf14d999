"""Security events: one JSON line each through the app's logging (kiosk.logging_setup).

Sign-ins, lockouts, CSRF failures, rate-limit hits, phone reveals and admin changes are
logged here with ids and codes only: never a password, token, credential, complaint text or
phone number, so the log can be shipped and kept without becoming personal data.
"""

import logging
from typing import Any

log = logging.getLogger("kiosk.security")


def security_event(name: str, *, warning: bool = False, **fields: Any) -> None:
    """Log security event name with fields (ids, codes, counts: nothing secret or personal)."""
    log.log(
        logging.WARNING if warning else logging.INFO,
        name,
        extra={"fields": {"security": True, **fields}},
    )
