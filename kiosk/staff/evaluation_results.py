"""Staff evaluation pages (考核): a period's report, one person's detail, finalising, exports.

The assessment and ledger pages are in kiosk.staff.evaluation; this module shares its helpers.
"""

from collections.abc import Callable
from typing import Any

from flask import Response, abort, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from kiosk import clock
from kiosk.auth import roles_required
from kiosk.errors import render_error
from kiosk.extensions import db
from kiosk.labels import consequence_text
from kiosk.models import Staff
from kiosk.services import evaluation as ev
from kiosk.services import evaluation_export, people, periods
from kiosk.services import result_feedback as fb
from kiosk.services.evaluation_error import EvaluationError
from kiosk.staff import bp
from kiosk.staff.evaluation import _common, _hall, _is_supervisor, _period
from kiosk.staff.evaluation_feedback import FORMS, feedback_context


class FinaliseForm(FlaskForm):
    """定稿: a reason is needed only to finalise while complaints of the period are open."""

    reason = TextAreaField(_l("仍要定稿的理由"), validators=[Length(max=500)])


# --------------------------------------------------------------------------------------------
# Report, detail, finalise, exports


def _report(period: periods.Period) -> ev.Report:
    try:
        return ev.period_report(_hall(), period)
    except EvaluationError as error:
        abort(make_response(render_error(409, str(error))))


@bp.get("/evaluation/<period_code>/report")
@roles_required("supervisor")
def evaluation_report(period_code: str) -> ResponseReturnValue:
    """Show every staff member's score, grade, rank, sources and flags for the period."""
    period = _period(period_code)
    report = _report(period)
    return _report_page(period, report, FinaliseForm(formdata=None))


def _report_page(
    period: periods.Period, report: ev.Report, form: FinaliseForm, status: int = 200
) -> ResponseReturnValue:
    matters = [] if report.snapshot else ev.open_matters(_hall(), period, clock.now())
    page = render_template(
        "staff/evaluation/report.html",
        **_common(
            period,
            report=report,
            finalise_form=form,
            open_matters=matters,
            open_matter_labels=ev.OPEN_MATTER_LABELS,
            open_objections=fb.open_objections(_hall(), period) if report.snapshot else 0,
            consequences=ev.current_scheme().consequences,
            grade_bands=ev.current_scheme().grades,
            consequence_text=consequence_text,
        ),
    )
    return page, status


@bp.get("/evaluation/<period_code>/staff/<int:staff_id>")
def evaluation_detail(period_code: str, staff_id: int) -> ResponseReturnValue:
    """Show one person's result with its full explanation and satisfaction trend."""
    return detail_page(_period(period_code), staff_id)


def detail_person(staff_id: int) -> Staff:
    """Return the person whose result page this is: supervisors see anyone's, others their own."""
    if not _is_supervisor() and current_user.staff_id != staff_id:
        abort(403)
    return people.hall_member(_hall().id, staff_id) or abort(404)


def detail_page(
    period: periods.Period,
    staff_id: int,
    forms: dict[str, FlaskForm] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """Render one person's result page (with the given forms, say after a refused post)."""
    hall = _hall()
    person = detail_person(staff_id)
    report = _report(period)
    row = report.row_for(person.id)
    trend = ev.satisfaction_trend(hall, person, period)
    page = render_template(
        "staff/evaluation/detail.html",
        **_common(
            period,
            report=report,
            person=person,
            result=row.result if row is not None else None,
            chart=trend_chart(trend),
            **feedback_context(hall, period, person, report, forms or {}),
        ),
    )
    return page, status


def _feedback_step(
    period_code: str,
    staff_id: int,
    name: str,
    step: Callable[[Staff, FlaskForm], object],
    done: str,
) -> ResponseReturnValue:
    """Take one feedback or objection step from its form; back to the result page."""
    period = _period(period_code)
    person = detail_person(staff_id)
    form = FORMS[name]()
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        return detail_page(period, staff_id, {name: form}, 422)
    try:
        step(person, form)
    except fb.FeedbackError as error:
        db.session.rollback()
        if error.status == 403:
            abort(403)
        form.form_errors.append(error.message)
        return detail_page(period, staff_id, {name: form}, error.status)
    db.session.commit()
    flash(done)
    return redirect(url_for("staff.evaluation_detail", period_code=period.code, staff_id=staff_id))


@bp.post("/evaluation/<period_code>/staff/<int:staff_id>/feedback")
@roles_required("supervisor")
def write_feedback(period_code: str, staff_id: int) -> ResponseReturnValue:
    """A supervisor writes feedback and suggestions on a finalised result."""
    period = _period(period_code)

    def step(person: Staff, form: FlaskForm) -> object:
        return fb.write_feedback(
            _hall(),
            period,
            person,
            actor=current_user,
            feedback=form.data["feedback"],
            suggestions=form.data["suggestions"],
            now=clock.now(),
        )

    return _feedback_step(period_code, staff_id, "feedback_form", step, _("反馈已保存。"))


@bp.post("/evaluation/<period_code>/staff/<int:staff_id>/acknowledge")
def acknowledge_feedback(period_code: str, staff_id: int) -> ResponseReturnValue:
    """The person confirms they have read the feedback (已阅)."""
    period = _period(period_code)

    def step(person: Staff, form: FlaskForm) -> object:
        return fb.acknowledge(_hall(), period, person, actor=current_user, now=clock.now())

    return _feedback_step(period_code, staff_id, "acknowledge_form", step, _("已确认阅读。"))


@bp.post("/evaluation/<period_code>/staff/<int:staff_id>/objection")
def object_to_result(period_code: str, staff_id: int) -> ResponseReturnValue:
    """The person objects to their finalised result (异议), once."""
    period = _period(period_code)

    def step(person: Staff, form: FlaskForm) -> object:
        return fb.object_to(
            _hall(), period, person, actor=current_user, text=form.data["text"], now=clock.now()
        )

    return _feedback_step(
        period_code, staff_id, "objection_form", step, _("异议已提交，将由其他负责人处理。")
    )


@bp.post("/evaluation/<period_code>/staff/<int:staff_id>/objection/decide")
@roles_required("supervisor")
def decide_objection(period_code: str, staff_id: int) -> ResponseReturnValue:
    """A supervisor other than those involved decides the objection."""
    period = _period(period_code)

    def step(person: Staff, form: FlaskForm) -> object:
        return fb.decide(
            _hall(),
            period,
            person,
            actor=current_user,
            outcome=form.data["outcome"],
            note=form.data["note"],
            now=clock.now(),
        )

    return _feedback_step(period_code, staff_id, "decision_form", step, _("异议已处理。"))


@bp.post("/evaluation/<period_code>/finalise")
@roles_required("supervisor")
def finalise_period(period_code: str) -> ResponseReturnValue:
    """Freeze the period's results as finalised."""
    period = _period(period_code)
    form = FinaliseForm()
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        return _report_page(period, _report(period), form, 422)
    try:
        ev.finalise_period(
            _hall(),
            period,
            actor=current_user,
            now=clock.now(),
            override_reason=form.reason.data or "",
        )
    except EvaluationError as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
        flash(_("%(period)s 的考核结果已定稿。", period=period.label))
    return redirect(url_for("staff.evaluation_report", period_code=period.code))


@bp.get("/evaluation/<period_code>/export.<fmt>")
@roles_required("supervisor")
def export_evaluation(period_code: str, fmt: str) -> ResponseReturnValue:
    """Download the 考核结果汇总表 as XLSX or CSV."""
    period = _period(period_code)
    if fmt not in ("xlsx", "csv"):
        abort(404)
    report = _report(period)
    name = f"evaluation-{_hall().slug}-{period.code}.{fmt}"
    if fmt == "xlsx":
        body = evaluation_export.to_xlsx(report)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = evaluation_export.to_csv(report)
        mimetype = "text/csv; charset=utf-8"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# --------------------------------------------------------------------------------------------
# The trend chart (inline SVG, computed here so the template only draws)

CHART_W, CHART_H = 640, 240
PAD_L, PAD_R, PAD_T, PAD_B = 44, 30, 16, 40


def trend_chart(points: list[ev.TrendPoint]) -> dict[str, Any]:
    """Lay out the satisfaction trend: y from a round floor below the lowest value to 100."""
    values = [p.smoothed for p in points if p.smoothed is not None]
    low = min(values) if values else 60.0
    floor = max(0, int(low // 10) * 10 - 10)
    step = 10 if 100 - floor <= 50 else 20
    inner_w = CHART_W - PAD_L - PAD_R
    inner_h = CHART_H - PAD_T - PAD_B
    n = max(len(points), 2)

    def x(i: int) -> float:
        return round(PAD_L + inner_w * i / (n - 1), 1)

    def y(v: float) -> float:
        return round(PAD_T + inner_h * (100 - v) / (100 - floor), 1)

    dots: list[dict[str, Any]] = []
    segments: list[list[str]] = []
    current: list[str] = []
    for i, point in enumerate(points):
        if point.smoothed is None:
            if current:
                segments.append(current)
            current = []
            continue
        current.append(f"{x(i)},{y(point.smoothed)}")
        dots.append({"x": x(i), "y": y(point.smoothed), "point": point})
    if current:
        segments.append(current)
    return {
        "width": CHART_W,
        "height": CHART_H,
        "left": PAD_L,
        "right": CHART_W - PAD_R,
        "bottom": CHART_H - PAD_B,
        "ticks": [{"y": y(v), "value": v} for v in range(floor, 101, step)],
        "labels": [{"x": x(i), "text": p.period.code} for i, p in enumerate(points)],
        "lines": [" ".join(seg) for seg in segments],
        "dots": dots,
        "points": points,
    }
