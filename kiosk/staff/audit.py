"""The audit log, read-only: every change that can affect someone's evaluation (admins only).

There is deliberately no route that edits or deletes an entry, and the model refuses it too
(kiosk.services.audit).
"""

from datetime import datetime, time, timedelta

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kiosk import clock
from kiosk.auth import roles_required
from kiosk.labels import AUDIT_ACTION_LABELS, AUDIT_TARGET_LABELS
from kiosk.services import audit as audit_service
from kiosk.services.roster import local_to_utc
from kiosk.staff import bp
from kiosk.staff._params import day_arg, page_number


@bp.get("/audit")
@roles_required("admin")
def audit() -> ResponseReturnValue:
    """Show the audit log newest first, filtered by action and hall-local dates."""
    action = request.args.get("action", "").strip()[:60] or None
    since, until = day_arg("from"), day_arg("to")
    page = request.args.get("page", "1")
    if not page.isdigit():
        abort(400)
    result = audit_service.audit_page(
        current_user.hall_id,
        action=action,
        since=local_to_utc(datetime.combine(since, time.min)) if since else None,
        until=local_to_utc(datetime.combine(until + timedelta(days=1), time.min))
        if until
        else None,
        page=page_number(page),  # clamped to the last page by the service
    )
    return render_template(
        "staff/audit/list.html",
        result=result,
        actions=audit_service.hall_actions(current_user.hall_id),
        action_labels=AUDIT_ACTION_LABELS,
        target_labels=AUDIT_TARGET_LABELS,
        action=action,
        since=since,
        until=until,
        filters={
            "action": action,
            "from": since.isoformat() if since else None,
            "to": until.isoformat() if until else None,
        },
        local=lambda moment: clock.to_local(moment).strftime("%Y-%m-%d %H:%M:%S"),
    )
