"""Kiosks and window pads: creating, pairing, revoking, settings, the staff exit PIN.

A device is paired by a one-time code an admin reads off the staff area; pairing gives the
tablet's browser a long-lived random credential. Only SHA-256 hashes of codes and credentials
are stored (both are random and long enough that a plain hash cannot be reversed by guessing).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.extensions import db
from kiosk.models import DEVICE_KINDS, Device, Hall, ServiceInvitation, Staff, Window
from kiosk.services.duty import staff_on_duty
from kiosk.services.invitations import InvitationError, rate_invitation
from kiosk.services.privacy import device_hash
from kiosk.services.ratings import record_rating
from kiosk.services.settings import setting
from kiosk.services.submission import DeviceLimit, RatingReceipt, Submission, Tap

# No 0/O, 1/I/L: codes are read aloud and typed on a tablet. 12 of 31 symbols ≈ 59 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
PIN_PATTERN = r"^\d{4,8}$"
# Bounds for the per-device settings an admin may choose.
SETTING_BOUNDS: dict[str, tuple[int, int]] = {
    "thanks_reset_seconds": (2, 120),
    "idle_reset_seconds": (10, 600),
    "cooldown_seconds": (0, 60),
    "burst_limit": (1, 100),
    "burst_window_seconds": (10, 3600),
}


class DeviceError(ValueError):
    """The request about a device is invalid; nothing was written."""


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_code(code: str) -> str:
    """Return a pairing code as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def format_code(code: str) -> str:
    """Return a pairing code in groups of four for reading aloud (ABCD-EFGH-JKMN)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _issue_code(device: Device, now: datetime) -> str:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    device.pairing_code_hash = _sha256(code)
    device.pairing_expires_at = now + timedelta(minutes=setting("DEVICE_PAIRING_MINUTES"))
    return format_code(code)


def create_device(
    hall: Hall, kind: str, name: str, window: Window | None, *, now: datetime
) -> tuple[Device, str]:
    """Create a kiosk or pad in hall; return it with its one-time pairing code (shown once)."""
    if kind not in DEVICE_KINDS:
        raise DeviceError(f"unknown kind {kind!r}")
    if kind == "pad" and window is None:
        raise DeviceError("a pad needs a window")
    if window is not None and window.hall_id != hall.id:
        raise DeviceError("window of another hall")
    device = Device(
        hall_id=hall.id,
        kind=kind,
        name=name.strip()[:60],
        window_id=window.id if kind == "pad" and window is not None else None,
        created_at=now,
    )
    code = _issue_code(device, now)
    db.session.add(device)
    db.session.flush()
    return device, code


def new_pairing_code(device: Device, *, now: datetime) -> str:
    """Issue a fresh pairing code; the current credential stays valid until it is used."""
    code = _issue_code(device, now)
    db.session.flush()
    return code


def device_awaiting_pairing(code: str, *, now: datetime) -> Device | None:
    """Return the device a pairing code would pair now, without using the code up."""
    normalised = normalise_code(code)
    if len(normalised) != CODE_LENGTH:
        return None
    device = db.session.scalar(
        select(Device).where(Device.pairing_code_hash == _sha256(normalised))
    )
    if device is None or device.pairing_expires_at is None or device.pairing_expires_at <= now:
        return None
    return device


def pair_device(code: str, *, now: datetime) -> tuple[Device, str] | None:
    """Exchange a valid pairing code for a new long-lived credential; None if the code fails.

    The code is cleared by a conditional UPDATE, so two tablets typing the same code at the
    same moment cannot both be paired.
    """
    device = device_awaiting_pairing(code, now=now)
    if device is None:
        return None
    code_hash = _sha256(normalise_code(code))
    credential = secrets.token_urlsafe(32)
    claimed = db.session.execute(
        update(Device)
        .where(Device.id == device.id, Device.pairing_code_hash == code_hash)
        .values(
            pairing_code_hash=None,
            pairing_expires_at=None,
            credential_hash=_sha256(credential),
            paired_at=now,
            revoked_at=None,
            last_seen_at=now,
            pin_failures=0,
            pin_locked_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE returns a CursorResult
        return None
    db.session.refresh(device)
    return device, credential


def device_by_credential(credential: str | None) -> Device | None:
    """Return the paired, unrevoked device holding credential."""
    if not credential or len(credential) > 100:
        return None
    return db.session.scalar(
        select(Device).where(
            Device.credential_hash == _sha256(credential), Device.revoked_at.is_(None)
        )
    )


def revoke_device(device: Device, *, now: datetime) -> None:
    """Withdraw the device's credential and any unused pairing code."""
    device.revoked_at = now
    device.credential_hash = None
    device.pairing_code_hash = None
    device.pairing_expires_at = None
    db.session.flush()


def update_settings(device: Device, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Apply name, window (pads) and interval settings; return {field: (old, new)} changed."""
    changes: dict[str, tuple[Any, Any]] = {}
    for field, (low, high) in SETTING_BOUNDS.items():
        if field not in values:
            continue
        value = values[field]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DeviceError(f"{field} must be {low}–{high}")
        if getattr(device, field) != value:
            changes[field] = (getattr(device, field), value)
            setattr(device, field, value)
    if "name" in values and values["name"].strip() and values["name"].strip() != device.name:
        changes["name"] = (device.name, values["name"].strip()[:60])
        device.name = changes["name"][1]
    window = values.get("window")
    if device.kind == "pad" and window is not None and window.id != device.window_id:
        if window.hall_id != device.hall_id:
            raise DeviceError("window of another hall")
        changes["window_id"] = (device.window_id, window.id)
        device.window_id = window.id
    db.session.flush()
    return changes


def set_exit_pin(device: Device, pin: str) -> None:
    """Store a hash of the staff exit PIN (4–8 digits)."""
    if not pin.isdigit() or not 4 <= len(pin) <= 8:
        raise DeviceError("PIN must be 4–8 digits")
    device.exit_pin_hash = generate_password_hash(pin)
    device.pin_failures = 0
    device.pin_locked_until = None
    db.session.flush()


@dataclass(frozen=True)
class PinResult:
    ok: bool
    locked_until: datetime | None = None


def check_exit_pin(device: Device, pin: str, *, now: datetime) -> PinResult:
    """Check a staff exit PIN, counting failures and locking the pad after too many."""
    if device.pin_locked_until is not None and device.pin_locked_until > now:
        return PinResult(False, device.pin_locked_until)
    digits = pin.isdigit() and len(pin) <= 8
    if device.exit_pin_hash and digits and check_password_hash(device.exit_pin_hash, pin):
        device.pin_failures = 0
        device.pin_locked_until = None
        db.session.flush()
        return PinResult(True)
    device.pin_failures += 1
    if device.pin_failures >= setting("DEVICE_PIN_MAX_FAILURES"):
        device.pin_failures = 0
        device.pin_locked_until = now + timedelta(minutes=setting("DEVICE_PIN_LOCK_MINUTES"))
    db.session.flush()
    return PinResult(False, device.pin_locked_until)


def rating_device_hash(device: Device) -> str:
    """Return the device's keyed hash as stored on its ratings (stable across re-pairing)."""
    return device_hash(current_app.config["SECRET_KEY"], f"device:{device.id}")


def burst_limit(device: Device) -> DeviceLimit:
    """Return the device's own limit: burst_limit ratings per burst_window_seconds of taps."""
    return DeviceLimit(device.burst_limit, device.burst_window_seconds)


def hall_devices(hall_id: int) -> list[Device]:
    """Return the hall's devices, kiosks first, then by name."""
    return list(
        db.session.scalars(
            select(Device).where(Device.hall_id == hall_id).order_by(Device.kind, Device.name)
        )
    )


def touch(device: Device, now: datetime) -> None:
    """Remember when the device last submitted something."""
    device.last_seen_at = now


def submit_device_rating(
    device: Device,
    tap: Tap,
    *,
    window: Window,
    now: datetime,
    tapped_at: datetime,
    invitation: ServiceInvitation | None = None,
    staff_session: bool = False,
) -> RatingReceipt:
    """Record a tap from a paired device: a pad answers its invitation, a kiosk rates freely.

    Taps are checked for stuffing (kiosk.services.anti_stuffing): beyond the device's burst
    limit (by tap time, so an offline replay spread over an hour is no burst), the window's or
    the hall's, they are kept but quarantined and flagged "burst"; a browser signed in to the
    staff area (staff_session) flags "staff_device".
    """
    touch(device, now)
    device_id = rating_device_hash(device)
    if device.kind == "pad":
        if invitation is None:
            raise InvitationError("a pad rates only an invited service")
        return rate_invitation(
            invitation,
            tap,
            channel="pad",
            now=now,
            tapped_at=tapped_at,
            device=device_id,
            device_limit=burst_limit(device),
            staff_session=staff_session,
        )
    return record_rating(
        Submission(
            window,
            tap,
            "kiosk",
            tapped_at,
            device=device_id,
            device_limit=burst_limit(device),
            staff_session=staff_session,
            screen=True,
        ),
        now=now,
    )


@dataclass(frozen=True)
class WindowCard:
    """A window as the kiosk shows it: number, name and who is on duty now."""

    window: Window
    staff: Staff | None


def window_cards(hall_id: int, now: datetime) -> list[WindowCard]:
    """Return the hall's active windows in number order, each with the staff on duty."""
    windows = db.session.scalars(
        select(Window)
        .where(Window.hall_id == hall_id, Window.active.is_(True))
        .order_by(Window.number)
    )
    return [WindowCard(window, staff_on_duty(window.id, now)) for window in windows]
