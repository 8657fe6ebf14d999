"""The phone's device cookie: a signed random id that anti-stuffing and replacement key on.

Only its keyed hash (device_cookie_hash) is ever stored, on the phone's ratings.
"""

import uuid
from typing import TypeVar

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from kiosk.services.privacy import device_hash

# Any response: a page (flask.Response) or a redirect (werkzeug's Response, its base class).
ResponseT = TypeVar("ResponseT", bound=Response)


def _serializer() -> URLSafeSerializer:
    # One per app and secret (it is asked on every tap).
    key = current_app.config["SECRET_KEY"]
    cached = current_app.extensions.get("kiosk_device_cookie")
    if cached is None or cached[0] != key:
        cached = current_app.extensions["kiosk_device_cookie"] = (
            key,
            URLSafeSerializer(key, salt="device-cookie"),
        )
    return cached[1]


def device_cookie_id() -> str | None:
    """Return the random id in this browser's device cookie (None: no valid cookie)."""
    raw = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])
    if not raw:
        return None
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def device_cookie_hash() -> str | None:
    """Return the keyed hash of this browser's device cookie, as stored on its ratings."""
    device = device_cookie_id()
    return device_hash(current_app.config["SECRET_KEY"], device) if device else None


def set_device_cookie(response: ResponseT, device_id: str) -> ResponseT:
    """Give the browser its device cookie (a random id, signed; httpOnly)."""
    response.set_cookie(
        current_app.config["DEVICE_COOKIE_NAME"],
        _serializer().dumps(device_id),
        max_age=current_app.config["DEVICE_COOKIE_MAX_AGE"],
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response


def with_device_cookie(response: ResponseT) -> ResponseT:
    """Give the browser a device cookie unless it already has a valid one."""
    if device_cookie_id() is None:
        set_device_cookie(response, uuid.uuid4().hex)
    return response
