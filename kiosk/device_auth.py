"""Recognising a paired kiosk or pad from its credential (cookie or Bearer header)."""

from flask import request

from kiosk.device_cookie import ResponseT
from kiosk.models import Device
from kiosk.services.devices import device_by_credential
from kiosk.services.settings import setting


def request_credential() -> str | None:
    """Return the device credential sent with this request: Bearer header, else the cookie."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip() or None
    return request.cookies.get(setting("DEVICE_CREDENTIAL_COOKIE")) or None


def request_device() -> Device | None:
    """Return the paired, unrevoked device making this request, or None."""
    return device_by_credential(request_credential())


def set_credential_cookie(response: ResponseT, credential: str) -> ResponseT:
    """Give the browser its long-lived device credential.

    httpOnly: page scripts (and anything injected into them) cannot read it. SameSite=Strict:
    the browser never sends it with a request started by another site, which is half of the
    API's CSRF defence (see kiosk.device_api).
    """
    response.set_cookie(
        setting("DEVICE_CREDENTIAL_COOKIE"),
        credential,
        max_age=10 * 365 * 24 * 3600,
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        path="/",
    )
    return response


def clear_credential_cookie(response: ResponseT) -> ResponseT:
    """Make the browser forget its device credential."""
    response.delete_cookie(
        setting("DEVICE_CREDENTIAL_COOKIE"), path="/", httponly=True, samesite="Strict"
    )
    return response
