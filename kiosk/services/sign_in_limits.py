"""Sign-in throttling: per account, and per address without locking out a hall behind one NAT.

A hall's PCs often reach the site through one public address, so a per-address limit as low as
the per-account one would let one person's typos lock every colleague out. The rule, over the
current LOGIN_WINDOW_SECONDS window and the one before it taken together (fixed windows counted
in kiosk.services.limits, so shared by every worker and host; two of them so that failures on
either side of a window's edge still add up):

- an account is locked after LOGIN_FAILURE_LIMIT failed sign-ins, from any address;
- an address is throttled (every sign-in from it refused) once its failures named
  LOGIN_ADDRESS_ACCOUNT_LIMIT distinct usernames, or LOGIN_ADDRESS_FAILURE_LIMIT failures in all.

A locked account's attempts are refused before they are counted, so one person adds at most
LOGIN_FAILURE_LIMIT failures and one name to their address: colleagues still sign in. Guessing
across many accounts from one address (password spraying) reaches the address limits.
"""

import hashlib
from datetime import datetime, timedelta

from flask import current_app

from kiosk.services import limits


def _name(username: str) -> str:
    return username.strip().lower()


def _account_key(username: str) -> str:
    return f"login:user:{_name(username)}"


def _address_key(address: str) -> str:
    return f"login:ip:{address}"


def _names_key(address: str) -> str:
    return f"login:ip-names:{address}"


def _address_name_key(address: str, username: str) -> str:
    # Hashed: people type passwords into the name field, and the key only has to tell names apart.
    digest = hashlib.sha256(_name(username).encode()).hexdigest()[:16]
    return f"login:ip-name:{address}:{digest}"


def throttled(username: str, address: str, now: datetime) -> bool:
    """Return whether a sign-in as username from address is refused for now."""
    config = current_app.config
    window = config["LOGIN_WINDOW_SECONDS"]
    checks = (
        (_account_key(username), config["LOGIN_FAILURE_LIMIT"]),
        (_address_key(address), config["LOGIN_ADDRESS_FAILURE_LIMIT"]),
        (_names_key(address), config["LOGIN_ADDRESS_ACCOUNT_LIMIT"]),
    )
    before = now - timedelta(seconds=window)
    return any(
        limits.current(key, window, now) + limits.current(key, window, before) >= limit
        for key, limit in checks
    )


def count_failure(username: str, address: str, now: datetime) -> None:
    """Count a failed sign-in as username from address."""
    window = current_app.config["LOGIN_WINDOW_SECONDS"]
    _, _, of_name = limits.hit_many(
        [
            (_account_key(username), window, now),
            (_address_key(address), window, now),
            (_address_name_key(address, username), window, now),
        ]
    )
    if of_name == 1:  # the first failure for this name from this address in the window
        limits.hit(_names_key(address), window, now)
