"""Managing a hall's windows and their printed QR codes."""

from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import RetiredQrToken, User, Window
from kiosk.services import audit, qr


def hall_windows(hall_id: int | None, *, active_only: bool = False) -> list[Window]:
    """Return the hall's windows by number (only active ones if active_only)."""
    query = select(Window).where(Window.hall_id == hall_id).order_by(Window.number)
    if active_only:
        query = query.where(Window.active.is_(True))
    return list(db.session.scalars(query))


def hall_window(hall_id: int | None, window_id: int) -> Window | None:
    """Return the window if it belongs to the hall, else None."""
    window = db.session.get(Window, window_id)
    return window if window is not None and window.hall_id == hall_id else None


def number_taken(hall_id: int, number: int, *, except_id: int | None = None) -> bool:
    """Return whether another window of the hall already has this number."""
    query = select(Window.id).where(Window.hall_id == hall_id, Window.number == number)
    if except_id is not None:
        query = query.where(Window.id != except_id)
    return db.session.scalar(query) is not None


def _log(action: str, window: Window, actor: User, **detail: object) -> None:
    audit.record(
        action,
        actor=actor,
        target_type="window",
        target_id=window.id,
        hall_id=window.hall_id,
        detail={"number": window.number, **detail},
    )


def create_window(hall_id: int, *, number: int, name: str, services: str, actor: User) -> Window:
    """Add a window to the hall with a fresh QR token."""
    window = Window(hall_id=hall_id, number=number, name=name.strip(), services=services.strip())
    db.session.add(window)
    db.session.flush()
    _log("window.create", window, actor, name=window.name)
    return window


def update_window(window: Window, *, number: int, name: str, services: str, actor: User) -> None:
    """Change a window's number, name and services (its QR code stays valid)."""
    before = {"number": window.number, "name": window.name}
    window.number, window.name, window.services = number, name.strip(), services.strip()
    db.session.flush()
    _log("window.update", window, actor, before=before, name=window.name)


def set_window_active(window: Window, active: bool, *, actor: User) -> None:
    """Take a window out of service (its QR code stops rating) or put it back."""
    window.active = active
    db.session.flush()
    _log("window.reactivate" if active else "window.deactivate", window, actor)


def regenerate_qr_token(window: Window, *, actor: User) -> RetiredQrToken:
    """Give the window a new QR token; the old one is kept so its printed code can explain."""
    retired = RetiredQrToken(token=window.qr_token, window=window, retired_at=clock.now())
    db.session.add(retired)
    window.regenerate_qr_token()
    db.session.flush()
    # The tokens themselves stay out of the log: the old one is retired, the new one is live.
    _log("window.regenerate_qr", window, actor)
    return retired


def retired_window(token: str) -> Window | None:
    """Return the window whose QR code used to carry token, or None if it never did."""
    if not token or len(token) > 64:
        return None
    retired = db.session.scalar(select(RetiredQrToken).where(RetiredQrToken.token == token))
    return retired.window if retired is not None else None


def inline_svg(window: Window) -> str:
    """Return the window's QR code as SVG markup for embedding in a page (no XML prolog)."""
    svg = qr.qr_svg(qr.window_url(window)).decode("utf-8")
    # qrcode names its path id="qr-path": on a sheet of several codes that id would repeat.
    return svg[svg.index("<svg") :].replace(' id="qr-path"', "")
