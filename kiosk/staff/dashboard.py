"""Dashboards: the supervisors' overview of the hall, and each clerk's own results."""

from datetime import datetime
from typing import Any

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from kiosk import clock
from kiosk.auth import roles_required
from kiosk.extensions import db
from kiosk.labels import APPEAL_LABELS, COMPLAINT_STATUS_LABELS, LEVEL_LABELS, STATUS_LABELS
from kiosk.models import Staff, Window
from kiosk.services import complaints, dashboard, people, rating_review
from kiosk.services import windows as windows_service
from kiosk.services.settings import setting
from kiosk.staff import bp
from kiosk.staff._params import optional_int


def _scope_from_args() -> tuple[Window | None, Staff | None]:
    """Read ?window= or ?staff= (the chart's subject); 404 for another hall's or unknown ids."""
    window = staff = None
    raw_window, raw_staff = request.args.get("window", ""), request.args.get("staff", "")
    if raw_window:
        window_id = optional_int(raw_window)
        window = windows_service.hall_window(current_user.hall_id, window_id) if window_id else None
        if window is None:
            abort(404)
    elif raw_staff:
        staff_id = optional_int(raw_staff)
        staff = people.hall_member(current_user.hall_id, staff_id) if staff_id else None
        if staff is None:
            abort(404)
    return window, staff


@bp.get("/dashboard")
@roles_required("supervisor")
def supervisor_dashboard() -> ResponseReturnValue:
    """Show today's and this month's figures, alerts, the 90-day chart, the weakest windows."""
    hall_id = current_user.hall_id
    if hall_id is None:
        abort(404)
    window, staff = _scope_from_args()
    now = clock.now()
    today = clock.to_local(now).date()
    figures = dashboard.summary(hall_id, now)
    series = dashboard.daily_index(
        hall_id,
        today,
        window_id=window.id if window else None,
        staff_id=staff.id if staff else None,
    )
    if window:
        subject = _("%(n)s号窗口 %(name)s", n=window.number, name=window.name)
    elif staff:
        subject = f"{staff.name} {staff.staff_no}"
    else:
        subject = _("全大厅")
    return render_template(
        "staff/dashboard/supervisor.html",
        figures=figures,
        chart=dashboard.line_chart(series),
        series=series,
        subject=subject,
        selected_window=window,
        selected_staff=staff,
        windows=windows_service.hall_windows(hall_id),
        staff_list=people.hall_staff(hall_id),
        lowest=dashboard.lowest_windows(hall_id, figures.week_start, today),
        held_total=rating_review.quarantined_count(hall_id),
        **_alerts_context(hall_id, now),
    )


@bp.get("/dashboard/alerts")
@roles_required("supervisor")
def dashboard_alerts() -> ResponseReturnValue:
    """Return the alerts fragment (new complaints, today's 差评); it re-arms its own poll."""
    if current_user.hall_id is None:
        abort(404)
    return render_template(
        "staff/dashboard/_alerts.html", **_alerts_context(current_user.hall_id, clock.now())
    )


def _alerts_context(hall_id: int, now: datetime) -> dict[str, Any]:
    """Return what the alerts fragment needs (the dashboard and its poll render it alike)."""
    return {
        "alerts": dashboard.alerts(hall_id, now),
        "poll_seconds": setting("DASHBOARD_POLL_SECONDS"),
        "now": now,
        "levels": LEVEL_LABELS,
        "statuses": COMPLAINT_STATUS_LABELS,
        "rating_statuses": STATUS_LABELS,
        "due_of": complaints.current_due_at,
    }


@bp.get("/me")
def my_dashboard() -> ResponseReturnValue:
    """Show the signed-in clerk their own ratings, trend, complaints and appeals."""
    staff_id = current_user.staff_id
    hall_id = current_user.hall_id
    if staff_id is None or hall_id is None:
        return render_template("staff/dashboard/mine.html", staff=None)
    now = clock.now()
    today = clock.to_local(now).date()
    own = db.session.get(Staff, staff_id)
    recent = dashboard.recent_ratings(staff_id)
    mine = complaints.for_staff(staff_id, hall_id)
    return render_template(
        "staff/dashboard/mine.html",
        staff=own,
        figures=dashboard.summary(hall_id, now, staff_id=staff_id),
        chart=dashboard.line_chart(dashboard.daily_index(hall_id, today, staff_id=staff_id)),
        recent=recent,
        complaints=mine,
        appeals=complaints.appeal_states(list(mine)),
        may_appeal=lambda complaint: complaints.may_still_appeal(complaint, now),
        now=now,
        levels=LEVEL_LABELS,
        statuses=COMPLAINT_STATUS_LABELS,
        appeal_labels=APPEAL_LABELS,
        due_of=complaints.current_due_at,
    )
