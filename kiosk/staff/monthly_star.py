"""每月服务之星 (the month's 优秀): the rule's choice for a month and recording it.

The rules are kiosk.services.monthly_star's; the page is a supervisor's, beside the month's
evaluation pages.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from kiosk import clock
from kiosk.auth import roles_required
from kiosk.extensions import db
from kiosk.labels import phrase_text
from kiosk.services import monthly_star, periods
from kiosk.staff import bp
from kiosk.staff.evaluation import _common, _hall, _period

bp.add_app_template_filter(phrase_text, "phrase_text")
bp.add_app_template_global(monthly_star.reason_of, "star_reason")


class RecordForm(FlaskForm):
    """记录: nothing but the CSRF token."""


def _month(period_code: str) -> periods.Period:
    period = _period(period_code)
    if period.kind != "month":
        abort(404)
    return period


def _page(period: periods.Period, form: RecordForm, status: int = 200) -> ResponseReturnValue:
    hall = _hall()
    record = monthly_star.selection_for(hall, period)
    page = render_template(
        "staff/evaluation/monthly_star.html",
        **_common(
            period,
            record=record,
            proposal=None if record else monthly_star.proposal(hall, period),
            form=form,
        ),
    )
    return page, status


@bp.get("/evaluation/<period_code>/star")
@roles_required("supervisor")
def monthly_star_page(period_code: str) -> ResponseReturnValue:
    """Show whom the rule chooses for the month and why, or the month's record."""
    return _page(_month(period_code), RecordForm(formdata=None))


@bp.post("/evaluation/<period_code>/star")
@roles_required("supervisor")
def record_monthly_star(period_code: str) -> ResponseReturnValue:
    """Record the month's 服务之星 as the rule chooses it (once the month has ended)."""
    period = _month(period_code)
    form = RecordForm()
    if not form.validate():
        abort(400)  # the form has nothing but its CSRF token
    try:
        monthly_star.record(_hall(), period, actor=current_user, now=clock.now())
    except monthly_star.SelectionError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _page(period, form, error.status)
    db.session.commit()
    flash(_("%(month)s 的服务之星已记录，并在大厅公开页公示。", month=period.label))
    return redirect(url_for("staff.monthly_star_page", period_code=period.code))
