"""Helpers for the kiosk and pad tests: paired devices and API calls as a device makes them."""

from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient

from kiosk.extensions import db
from kiosk.models import Device, Hall, Window
from kiosk.models._types import utcnow
from kiosk.services import devices

COOKIE = "hall_device_credential"


def make_device(
    hall: Hall, kind: str = "kiosk", window: Window | None = None, **settings: Any
) -> tuple[Device, str]:
    """Create and pair a device (in an app context); return it with its credential."""
    now = utcnow()
    device, code = devices.create_device(hall, kind, f"{kind}-test", window, now=now)
    for name, value in settings.items():
        setattr(device, name, value)
    paired = devices.pair_device(code, now=now)
    assert paired is not None
    db.session.commit()
    return paired


def iso(moment: datetime) -> str:
    """Return a naive UTC time as ISO 8601 with a Z, as the device's JavaScript sends it."""
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def post_rating(client: FlaskClient, credential: str | None, **body: Any):  # type: ignore[no-untyped-def]
    """POST /api/v1/ratings with the device's credential as a Bearer token."""
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    return client.post("/api/v1/ratings", json=body, headers=headers)
