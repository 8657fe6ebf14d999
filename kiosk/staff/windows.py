"""Hall management: windows, their QR codes and the printable sheet of table-tent cards."""

from typing import Any

from flask import Response, abort, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from kiosk.auth import roles_required
from kiosk.extensions import db
from kiosk.forms import SmallIntegerField, add_error, filled
from kiosk.models import Window
from kiosk.services import qr
from kiosk.services import windows as windows_service
from kiosk.staff import bp


class WindowForm(FlaskForm):
    number = SmallIntegerField(
        _l("窗口号"), validators=[InputRequired(_l("请填写窗口号")), NumberRange(1, 999)]
    )
    name = StringField(_l("窗口名称"), validators=[InputRequired(_l("请填写名称")), Length(max=80)])
    services = TextAreaField(_l("办理事项（选填）"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args: Any, window_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window_id = window_id

    def validate_number(self, field: SmallIntegerField) -> None:
        # Not a number ("abc"): data is None, and NumberRange has said so already.
        if field.data is not None and windows_service.number_taken(
            current_user.hall_id, field.data, except_id=self.window_id
        ):
            add_error(field, _l("本大厅已有这个窗口号。"))


class ActionForm(FlaskForm):
    """CSRF-only form for one-click buttons."""


def _hall_id() -> int:
    hall_id: int | None = current_user.hall_id
    if hall_id is None:
        abort(403)  # an account without a hall has no windows to manage
    return hall_id


def _window_or_404(window_id: int) -> Window:
    window = windows_service.hall_window(current_user.hall_id, window_id)
    if window is None:
        abort(404)
    return window


@bp.get("/windows")
@roles_required("supervisor")
def windows() -> ResponseReturnValue:
    """List the hall's windows with their QR codes."""
    return render_template(
        "staff/windows/list.html",
        windows=windows_service.hall_windows(current_user.hall_id),
        action_form=ActionForm(),
        can_edit=current_user.has_role("admin"),
    )


@bp.route("/windows/new", methods=["GET", "POST"])
@roles_required("admin")
def create_window() -> ResponseReturnValue:
    """Add a window."""
    hall_id = _hall_id()
    form = WindowForm()
    if form.validate_on_submit():
        window = windows_service.create_window(
            hall_id,
            number=filled(form.number.data),
            name=filled(form.name.data),
            services=form.services.data or "",
            actor=current_user,
        )
        db.session.commit()
        flash(_("已添加%(number)s号窗口。", number=window.number))
        return redirect(url_for("staff.windows"))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/windows/form.html", form=form, window=None), status


@bp.route("/windows/<int:window_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_window(window_id: int) -> ResponseReturnValue:
    """Change a window's number, name and services."""
    window = _window_or_404(window_id)
    form = WindowForm(obj=window, window_id=window.id)
    if form.validate_on_submit():
        windows_service.update_window(
            window,
            number=filled(form.number.data),
            name=filled(form.name.data),
            services=form.services.data or "",
            actor=current_user,
        )
        db.session.commit()
        flash(_("已保存%(number)s号窗口。", number=window.number))
        return redirect(url_for("staff.windows"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "staff/windows/form.html", form=form, window=window, action_form=ActionForm()
    ), status


@bp.post("/windows/<int:window_id>/deactivate")
@roles_required("admin")
def deactivate_window(window_id: int) -> ResponseReturnValue:
    """Take a window out of service: its QR code stops accepting ratings."""
    return _set_active(window_id, False)


@bp.post("/windows/<int:window_id>/reactivate")
@roles_required("admin")
def reactivate_window(window_id: int) -> ResponseReturnValue:
    """Put a window back into service."""
    return _set_active(window_id, True)


def _set_active(window_id: int, active: bool) -> ResponseReturnValue:
    window = _window_or_404(window_id)
    if not ActionForm().validate():
        abort(400)
    windows_service.set_window_active(window, active, actor=current_user)
    db.session.commit()
    if active:
        flash(_("%(number)s号窗口已启用。", number=window.number))
    else:
        flash(_("%(number)s号窗口已停用，它的二维码不再接受评价。", number=window.number))
    return redirect(url_for("staff.windows"))


@bp.post("/windows/<int:window_id>/regenerate-qr")
@roles_required("admin")
def regenerate_qr(window_id: int) -> ResponseReturnValue:
    """Replace the window's QR code; the old printed code then says it is no longer valid."""
    window = _window_or_404(window_id)
    if not ActionForm().validate():
        abort(400)
    windows_service.regenerate_qr_token(window, actor=current_user)
    db.session.commit()
    flash(
        _(
            "%(number)s号窗口的二维码已更换，旧二维码已停用；请打印新的二维码。",
            number=window.number,
        )
    )
    return redirect(url_for("staff.windows"))


@bp.get("/windows/qr-sheet")
@roles_required("supervisor")
def qr_sheet() -> ResponseReturnValue:
    """Show the printable A4 sheet of table-tent cards, one per active window."""
    active = windows_service.hall_windows(current_user.hall_id, active_only=True)
    # The SVG is generated here from the window URL (no user input), so it is safe markup.
    cards = [(window, Markup(windows_service.inline_svg(window))) for window in active]  # noqa: S704
    return render_template("staff/windows/qr_sheet.html", cards=cards)


@bp.get("/windows/<int:window_id>/qr.png")
@roles_required("supervisor")
def window_qr_png(window_id: int) -> ResponseReturnValue:
    """Download the window's QR code as PNG."""
    return _qr_download(_window_or_404(window_id), "png")


@bp.get("/windows/<int:window_id>/qr.svg")
@roles_required("supervisor")
def window_qr_svg(window_id: int) -> ResponseReturnValue:
    """Download the window's QR code as SVG."""
    return _qr_download(_window_or_404(window_id), "svg")


def _qr_download(window: Window, kind: str) -> Response:
    url = qr.window_url(window)
    body = qr.qr_png(url) if kind == "png" else qr.qr_svg(url)
    response = make_response(body)
    response.mimetype = "image/png" if kind == "png" else "image/svg+xml"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="window-{window.number}.{kind}"'
    )
    response.headers["Cache-Control"] = "no-store"  # a regenerated code must never come from cache
    return response
