"""Hall management: the duty roster (who is at which window when), by day and window."""

from datetime import date, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from kiosk import clock
from kiosk.auth import roles_required
from kiosk.extensions import db
from kiosk.forms import DayInRange, SelectChoice, filled
from kiosk.models import Duty
from kiosk.services import people as people_service
from kiosk.services import roster as roster_service
from kiosk.services import windows as windows_service
from kiosk.staff import bp
from kiosk.staff._params import day_arg, optional_int

TIME_FORMAT = "%Y-%m-%dT%H:%M"


class DutyForm(FlaskForm):
    staff_id = SelectField(_l("人员"), coerce=int, validators=[InputRequired()])
    window_id = SelectField(_l("窗口"), coerce=int, validators=[InputRequired()])
    starts_at = DateTimeLocalField(
        _l("开始时间"),
        format=TIME_FORMAT,
        validators=[InputRequired(_l("请填写开始时间")), DayInRange()],
    )
    ends_at = DateTimeLocalField(
        _l("结束时间（留空表示未定）"), format=TIME_FORMAT, validators=[Optional(), DayInRange()]
    )
    reason = StringField(_l("修改原因"), validators=[Optional(), Length(max=200)])

    def fill_choices(self, hall_id: int) -> None:
        self.staff_id.choices = [
            SelectChoice(s.id, f"{s.staff_no} {s.name}")
            for s in people_service.hall_staff(hall_id, active_only=True)
        ]
        self.window_id.choices = [
            SelectChoice(w.id, _("%(number)s号窗口 %(name)s", number=w.number, name=w.name))
            for w in windows_service.hall_windows(hall_id, active_only=True)
        ]


class ActionForm(FlaskForm):
    """CSRF-only form for one-click buttons."""


def _hall_id() -> int:
    hall_id: int | None = current_user.hall_id
    if hall_id is None:
        abort(403)
    return hall_id


def _duty_or_404(duty_id: int) -> Duty:
    duty = roster_service.hall_duty(current_user.hall_id, duty_id)
    if duty is None:
        abort(404)
    return duty


def _day_arg() -> date:
    return day_arg("day") or clock.to_local(clock.now()).date()


def _day_of(duty: Duty) -> str:
    return clock.to_local(duty.starts_at).date().isoformat()


@bp.get("/roster")
@roles_required("supervisor")
def roster() -> ResponseReturnValue:
    """Show one day of duties, window by window."""
    day = _day_arg()
    return render_template(
        "staff/roster/day.html",
        day=day,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        rows=roster_service.day_view(current_user.hall_id, day),
        now=clock.now(),
        local=lambda moment: clock.to_local(moment).strftime("%m-%d %H:%M"),
        action_form=ActionForm(),
    )


@bp.route("/roster/new", methods=["GET", "POST"])
@roles_required("supervisor")
def create_duty() -> ResponseReturnValue:
    """Plan a staff member at a window."""
    hall_id = _hall_id()
    form = DutyForm()
    form.fill_choices(hall_id)
    if not form.is_submitted():
        day = _day_arg()
        form.starts_at.data = datetime.combine(day, datetime.min.time()).replace(hour=8, minute=30)
        form.ends_at.data = form.starts_at.data.replace(hour=17, minute=30)
        window_id = optional_int(request.args.get("window"))
        if window_id is not None:
            form.window_id.data = window_id
    if form.validate_on_submit():
        staff = people_service.hall_member(hall_id, form.staff_id.data)
        window = windows_service.hall_window(hall_id, form.window_id.data)
        if staff is None or window is None:
            abort(400)
        try:
            duty = roster_service.create_duty(
                hall_id,
                staff=staff,
                window=window,
                starts_at=roster_service.local_to_utc(filled(form.starts_at.data)),
                ends_at=roster_service.local_to_utc(form.ends_at.data)
                if form.ends_at.data
                else None,
                actor=current_user,
            )
        except roster_service.RosterError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("已排班：%(name)s。", name=staff.name))
            return redirect(url_for("staff.roster", day=_day_of(duty)))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/roster/form.html", form=form, duty=None), status


@bp.route("/roster/<int:duty_id>/edit", methods=["GET", "POST"])
@roles_required("supervisor")
def edit_duty(duty_id: int) -> ResponseReturnValue:
    """Change a planned duty (a clerk's own sign-in can only be ended)."""
    duty = _duty_or_404(duty_id)
    hall_id = _hall_id()
    form = DutyForm()
    form.fill_choices(hall_id)
    if not form.is_submitted():
        form.staff_id.data, form.window_id.data = duty.staff_id, duty.window_id
        form.starts_at.data = roster_service.utc_to_local_naive(duty.starts_at)
        if duty.ends_at:
            form.ends_at.data = roster_service.utc_to_local_naive(duty.ends_at)
    if form.validate_on_submit():
        staff = people_service.hall_member(hall_id, form.staff_id.data)
        window = windows_service.hall_window(hall_id, form.window_id.data)
        if staff is None or window is None:
            abort(400)
        try:
            roster_service.update_duty(
                duty,
                staff=staff,
                window=window,
                starts_at=roster_service.local_to_utc(filled(form.starts_at.data)),
                ends_at=roster_service.local_to_utc(form.ends_at.data)
                if form.ends_at.data
                else None,
                reason=form.reason.data or "",
                actor=current_user,
            )
        except roster_service.RosterError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("已保存排班。"))
            return redirect(url_for("staff.roster", day=_day_of(duty)))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "staff/roster/form.html", form=form, duty=duty, action_form=ActionForm()
    ), status


@bp.post("/roster/<int:duty_id>/end")
@roles_required("supervisor")
def end_duty(duty_id: int) -> ResponseReturnValue:
    """End a duty now (for example a clerk who forgot to sign out)."""
    duty = _duty_or_404(duty_id)
    if not ActionForm().validate():
        abort(400)
    try:
        roster_service.end_duty(duty, at=clock.now(), actor=current_user)
    except roster_service.RosterError as error:
        flash(str(error))
    else:
        db.session.commit()
        flash(_("已结束%(name)s的值班。", name=duty.staff.name))
    return redirect(url_for("staff.roster", day=_day_of(duty)))


@bp.post("/roster/<int:duty_id>/cancel")
@roles_required("supervisor")
def cancel_duty(duty_id: int) -> ResponseReturnValue:
    """Cancel a planned duty that has not started."""
    duty = _duty_or_404(duty_id)
    if not ActionForm().validate():
        abort(400)
    day, name = _day_of(duty), duty.staff.name
    try:
        roster_service.cancel_duty(duty, now=clock.now(), actor=current_user)
    except roster_service.RosterError as error:
        flash(str(error))
    else:
        db.session.commit()
        flash(_("已取消%(name)s的排班。", name=name))
    return redirect(url_for("staff.roster", day=day))
