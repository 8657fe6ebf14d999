"""QR codes for the windows' printed rating cards."""

import io
from pathlib import Path
from typing import Any

import qrcode
import qrcode.image.svg
from flask import current_app, url_for

from kiosk.models import Window


def window_url(window: Window) -> str:
    """Return the absolute rating URL printed on the window's QR code (from PUBLIC_URL)."""
    path = url_for("public.rate", token=window.qr_token)
    public_url: str = current_app.config["PUBLIC_URL"]
    return public_url.rstrip("/") + path


def _qr(data: str) -> qrcode.QRCode[Any]:
    # Level M survives a worn or partly covered card; border 4 is the quiet zone scanners need.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_png(data: str) -> bytes:
    """Return data as a PNG QR code."""
    buffer = io.BytesIO()
    _qr(data).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(data: str) -> bytes:
    """Return data as a standalone SVG QR code."""
    buffer = io.BytesIO()
    _qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()


def export_window_codes(windows: list[Window], directory: Path) -> list[Path]:
    """Write window-<number>.png and .svg for each window into directory; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for window in windows:
        url = window_url(window)
        for suffix, render in (("png", qr_png), ("svg", qr_svg)):
            path = directory / f"window-{window.number}.{suffix}"
            path.write_bytes(render(url))
            written.append(path)
    return written
