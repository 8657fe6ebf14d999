"""The window console: a clerk signs in at a window, presses 办结·邀请评价, signs out."""

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from kiosk import clock
from kiosk.auth import roles_required
from kiosk.extensions import db
from kiosk.forms import as_choices
from kiosk.labels import LEVEL_LABELS
from kiosk.models import Staff
from kiosk.services import invitations
from kiosk.services import windows as windows_service
from kiosk.staff import bp


class SignInForm(FlaskForm):
    window = SelectField(_l("窗口"), coerce=int)


class ConsoleActionForm(FlaskForm):
    """CSRF-only form for the sign-out and invite buttons."""


def _clerk() -> Staff:
    staff: Staff | None = current_user.staff
    if staff is None:
        abort(403)
    return staff


def _render(staff: Staff, form: SignInForm, status: int = 200) -> tuple[str, int]:
    now = clock.now()
    start, end = clock.local_day_bounds(now)
    duty = invitations.current_signin(staff, now)
    rostered = None if duty else invitations.todays_roster(staff, now, end)
    if rostered is not None and form.window.data is None:
        form.window.data = rostered.window_id  # sign in where the roster puts them today
    page = render_template(
        "staff/console/index.html",
        staff=staff,
        duty=duty,
        rostered=rostered,
        form=form,
        action_form=ConsoleActionForm(),
        counts=invitations.console_counts(staff, start, end),
        latest=invitations.latest_invitation(staff),
        levels=LEVEL_LABELS,
        now=now,
    )
    return page, status


@bp.get("/console")
@roles_required("staff")
def console() -> ResponseReturnValue:
    """Show the clerk's window, the invite button and today's counts."""
    staff = _clerk()
    form = SignInForm(formdata=None)
    form.window.choices = as_choices(
        [
            (w.id, f"{w.number} · {w.name}")
            for w in windows_service.hall_windows(staff.hall_id, active_only=True)
        ]
    )
    return _render(staff, form)


@bp.post("/console/signin")
@roles_required("staff")
def console_signin() -> ResponseReturnValue:
    """Sign the clerk in at a window (a duty with source "signin")."""
    staff = _clerk()
    windows = {w.id: w for w in windows_service.hall_windows(staff.hall_id, active_only=True)}
    form = SignInForm()
    form.window.choices = as_choices([(w.id, f"{w.number} · {w.name}") for w in windows.values()])
    if not form.validate():
        return _render(staff, form, 400)
    invitations.sign_in(staff, windows[form.window.data], now=clock.now())
    db.session.commit()
    flash(_l("已在窗口签到。"))
    return redirect(url_for("staff.console"), code=303)


@bp.post("/console/signout")
@roles_required("staff")
def console_signout() -> ResponseReturnValue:
    """End the clerk's sign-in."""
    staff = _clerk()
    if not ConsoleActionForm().validate():
        abort(400)
    invitations.sign_out(staff, now=clock.now())
    db.session.commit()
    flash(_l("已签退。"))
    return redirect(url_for("staff.console"), code=303)


@bp.post("/console/invite")
@roles_required("staff")
def console_invite() -> ResponseReturnValue:
    """办结·邀请评价: mint a one-time invitation that arms the window's pad."""
    staff = _clerk()
    if not ConsoleActionForm().validate():
        abort(400)
    try:
        invitations.mint_invitation(staff, now=clock.now())
    except invitations.NotSignedIn:
        flash(_l("请先在窗口签到，再邀请评价。"))
        return redirect(url_for("staff.console"), code=303)
    db.session.commit()
    flash(_l("已邀请评价：评价器已亮起，请居民对本次服务评价。"))
    return redirect(url_for("staff.console"), code=303)
