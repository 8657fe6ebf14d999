"""Staff evaluation pages (考核): assessments, peer assignments, import, the adjustments ledger,
the period report with per-person detail, finalising and exports.

Everyone signed in may give the assessments they owe and see their own result; supervisors
(and admins) see and manage the whole hall. Every object is scoped to the user's hall.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

import scoring
from kiosk import clock
from kiosk.auth import roles_required
from kiosk.errors import render_error
from kiosk.extensions import db
from kiosk.forms import add_error, as_choices, filled
from kiosk.labels import (
    FLAG_LABELS,
    KIND_LABELS,
    LEDGER_KIND_LABELS,
    TASK_STATUS_LABELS,
    adjustment_reason,
    explanation_text,
    flag_label,
    scheme_text,
)
from kiosk.models import ASSESSOR_KINDS, Hall, PeerAssignment
from kiosk.services import adjustments as ledger  # the view adjustments() takes the plain name
from kiosk.services import (
    assessment_import,
    assessments,
    evaluation_inputs,
    people,
    periods,
)
from kiosk.services import evaluation as ev
from kiosk.services.evaluation_error import EvaluationError
from kiosk.services.results_period import latest_period_with_results
from kiosk.staff import bp

# --------------------------------------------------------------------------------------------
# Forms


class CsrfForm(FlaskForm):
    """CSRF-only form for one-click buttons."""


class ReasonForm(FlaskForm):
    reason = StringField(_l("原因"), validators=[InputRequired(_l("请填写原因")), Length(max=200)])


class PeerAssignForm(FlaskForm):
    assessor = SelectField(_l("评价人"), coerce=int, validators=[InputRequired()])
    subject = SelectField(_l("被评价人"), coerce=int, validators=[InputRequired()])


class ImportForm(FlaskForm):
    file = FileField(
        _l("评分文件（.xlsx 或 .csv）"),
        validators=[
            FileRequired(_l("请选择文件")),
            FileAllowed(["xlsx", "csv"], _l("只支持 .xlsx 或 .csv 文件")),
        ],
    )


class AdjustmentForm(FlaskForm):
    staff = SelectField(_l("员工"), coerce=int, validators=[InputRequired()])
    kind = SelectField(
        _l("类型"),
        choices=as_choices([("bonus", _l("加分")), ("deduction", _l("扣分"))]),
        validators=[InputRequired()],
    )
    category = SelectField(_l("类别"), validators=[Optional()])
    points = DecimalField(
        _l("分值（按等级计分的类别不用填）"),
        places=2,
        validators=[
            Optional(),
            NumberRange(Decimal("0.01"), 100, _l("分值应在 0.01 到 100 之间")),
        ],
    )
    reason = StringField(
        _l("原因或说明（不属于任何类别时必填）"), validators=[Optional(), Length(max=200)]
    )
    matter = StringField(
        _l("事项（同一事项的多条记录只按最高的一条计分）"),
        validators=[Optional(), Length(max=100)],
    )
    evidence = TextAreaField(_l("证明材料说明"), validators=[Optional(), Length(max=500)])
    approver = SelectField(_l("批准人"), coerce=int, validators=[InputRequired()])


def field_name(code: str) -> str:
    """Return the form field name of a rubric criterion code (dots are awkward in names)."""
    return "c_" + code.replace(".", "__")


def rubric_labels(nodes: Iterable[scoring.Criterion | scoring.CriterionScore]) -> dict[str, str]:
    """Return dotted code → label to show, for rubric nodes (criteria, or their averages).

    A sub-item named like its parent (服务质量 40 holds 服务质量 20) says which it is:
    服务质量（细项）. The scheme's own codes and labels are left as they are.
    """
    labels = {node.code: scheme_text(node.label) or "" for node in nodes}
    shown: dict[str, str] = {}
    for code, label in labels.items():
        parent = code.rpartition(".")[0]
        same = bool(parent) and labels.get(parent) == label
        shown[code] = _("%(label)s（细项）", label=label) if same else label
    return shown


def scheme_labels(scheme: Any) -> dict[str, str]:
    """Return rubric_labels of every node of a scheme's rubric."""

    def walk(nodes: Iterable[Any]) -> Iterable[Any]:
        for node in nodes:
            yield node
            yield from walk(node.children)

    return rubric_labels(walk(scheme.rubric))


def assessment_form(scheme: Any, data: dict[str, float] | None = None) -> FlaskForm:
    """Build the rubric form for a scheme: one number field per leaf criterion (0..max)."""
    attrs: dict[str, Any] = {}
    shown = scheme_labels(scheme)
    for leaf in scheme.leaves:
        attrs[field_name(leaf.code)] = DecimalField(
            f"{shown[leaf.code]}（0–{leaf.max_points:g}）",
            places=2,
            validators=[
                InputRequired(_l("请打分")),
                NumberRange(0, leaf.max_points, _l("超出本项分值范围")),
            ],
        )
    form_class = type("AssessmentForm", (FlaskForm,), attrs)
    initial = {field_name(code): points for code, points in (data or {}).items()}
    form: FlaskForm = form_class(data=initial if request.method == "GET" else None)
    return form


# --------------------------------------------------------------------------------------------
# Loading helpers


bp.add_app_template_filter(scheme_text, "scheme_text")
bp.add_app_template_filter(rubric_labels, "rubric_labels")
bp.add_app_template_filter(scheme_labels, "scheme_labels")
bp.add_app_template_filter(explanation_text, "explanation")
bp.add_app_template_filter(adjustment_reason, "adjustment_reason")


def _hall() -> Hall:
    hall: Hall | None = current_user.hall
    if hall is None:
        abort(404)
    return hall


def _period(code: str) -> periods.Period:
    try:
        return periods.parse_period(code)
    except EvaluationError:
        abort(404)


def _is_supervisor() -> bool:
    return bool(current_user.has_role("supervisor"))


def _local_time(moment: Any) -> str:
    return clock.to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _common(period: periods.Period, **extra: Any) -> dict[str, Any]:
    now = clock.now()
    return {
        "period": period,
        "not_begun": periods.not_begun(period, now),
        "not_ended": periods.not_ended(period, now),
        "is_supervisor": _is_supervisor(),
        "kind_labels": KIND_LABELS,
        "flag_labels": FLAG_LABELS,
        "flag_label": flag_label,
        "local_time": _local_time,
        **extra,
    }


# --------------------------------------------------------------------------------------------
# Overview and assessments


@bp.get("/evaluation/")
def evaluation_home() -> ResponseReturnValue:
    """Go to a period's evaluation page (?period=…, default the latest period with results,
    else the current month)."""
    code = request.args.get("period")
    if code:
        try:
            period = periods.parse_period(code)
        except EvaluationError as error:
            return render_error(400, str(error))
    else:
        now = clock.now()
        period = latest_period_with_results(_hall().id, now) or periods.current_period(now)
    return redirect(url_for("staff.evaluation_period", period_code=period.code))


@bp.get("/evaluation/<period_code>/")
def evaluation_period(period_code: str) -> ResponseReturnValue:
    """Show what the signed-in user owes and may open in a period."""
    period = _period(period_code)
    hall = _hall()
    mine = assessments.assessments_by(hall, period, current_user)
    own_staff = (
        people.hall_member(hall.id, current_user.staff_id) if current_user.staff_id else None
    )
    peers = [
        link
        for link in assessments.peer_assignments(hall, period)
        if current_user.staff_id and link.assessor_id == current_user.staff_id
    ]
    now = clock.now()
    return render_template(
        "staff/evaluation/period.html",
        **_common(
            period,
            own_staff=own_staff,
            peers=peers,
            mine=mine,
            nearby=[period.previous(), periods.current_period(now), period.next()],
            kinds=["month", "quarter", "year"],
            current={k: periods.current_period(now, k) for k in ("month", "quarter", "year")},
        ),
    )


@bp.route("/evaluation/<period_code>/assess/<kind>/<int:staff_id>", methods=["GET", "POST"])
def assess(period_code: str, kind: str, staff_id: int) -> ResponseReturnValue:
    """Give (or view) a self, peer or supervisor assessment over the rubric."""
    period = _period(period_code)
    hall = _hall()
    if kind not in ASSESSOR_KINDS:
        abort(404)
    subject = people.hall_member(hall.id, staff_id) or abort(404)
    if not assessments.may_assess(current_user, period, subject, kind):
        abort(403)
    scheme = ev.current_scheme()
    row = assessments.find_assessment(
        hall, period, subject, kind, assessments.assessor_key(kind, current_user)
    )
    form = assessment_form(scheme, row.scores if row else None)
    status = 200
    # A period not yet begun shows why instead of the form (the service refuses it too).
    if not periods.not_begun(period, clock.now()) and form.validate_on_submit():
        scores = {leaf.code: float(form[field_name(leaf.code)].data) for leaf in scheme.leaves}
        try:
            assessments.submit_assessment(
                hall,
                period,
                subject,
                kind,
                assessor=current_user,
                scores=scores,
                now=clock.now(),
                scheme=scheme,
            )
        except EvaluationError as error:
            db.session.rollback()
            flash(str(error))
            status = 409 if row is not None and row.locked else 400
        else:
            db.session.commit()
            flash(_("评价已提交并锁定。"))
            return redirect(url_for("staff.evaluation_period", period_code=period.code))
    elif form.is_submitted():
        status = 400
    return render_template(
        "staff/evaluation/assess.html",
        **_common(
            period,
            form=form,
            scheme=scheme,
            subject=subject,
            kind=kind,
            row=row,
            field_name=field_name,
            reopen_form=ReasonForm(formdata=None),
        ),
    ), status


@bp.post("/evaluation/assessments/<int:assessment_id>/reopen")
@roles_required("supervisor")
def reopen_assessment(assessment_id: int) -> ResponseReturnValue:
    """Unlock a submitted assessment so its assessor can change it."""
    hall = _hall()
    row = assessments.assessment_in_hall(hall, assessment_id) or abort(404)
    form = ReasonForm()
    if not form.validate():
        flash(_("请填写退回原因。"))
        return redirect(url_for("staff.assessment_progress", period_code=row.period))
    try:
        assessments.reopen_assessment(
            row, actor=current_user, reason=filled(form.reason.data), now=clock.now()
        )
    except EvaluationError as error:
        flash(str(error))
    else:
        db.session.commit()
        flash(_("已退回，评价人可以重新提交。"))
    return redirect(url_for("staff.assessment_progress", period_code=row.period))


@bp.get("/evaluation/<period_code>/progress")
@roles_required("supervisor")
def assessment_progress(period_code: str) -> ResponseReturnValue:
    """Show every assessment owed in the period, not yet submitted first."""
    period = _period(period_code)
    tasks = assessments.progress(_hall(), period)
    pending = sum(1 for t in tasks if t.status != "submitted")
    return render_template(
        "staff/evaluation/progress.html",
        **_common(
            period,
            tasks=tasks,
            pending=pending,
            status_labels=TASK_STATUS_LABELS,
            reopen_form=ReasonForm(formdata=None),
        ),
    )


# --------------------------------------------------------------------------------------------
# Peer assignments


@bp.route("/evaluation/<period_code>/peers", methods=["GET", "POST"])
@roles_required("supervisor")
def peer_assignments(period_code: str) -> ResponseReturnValue:
    """Assign who assesses whom (同事互评) in the period."""
    period = _period(period_code)
    hall = _hall()
    staff = people.hall_staff(hall.id, active_only=True)
    form = PeerAssignForm()
    choices = as_choices([(s.id, f"{s.staff_no} {s.name}") for s in staff])
    form.assessor.choices = choices
    form.subject.choices = choices
    status = 200
    if form.validate_on_submit():
        assessor = people.hall_member(hall.id, form.assessor.data)
        subject = people.hall_member(hall.id, form.subject.data)
        if assessor is None or subject is None:
            abort(400)
        try:
            assessments.assign_peer(
                hall, period, assessor, subject, actor=current_user, now=clock.now()
            )
        except EvaluationError as error:
            db.session.rollback()
            add_error(form.subject, str(error))
            status = 400
        else:
            db.session.commit()
            flash(_("已安排 %(a)s 评价 %(s)s。", a=assessor.name, s=subject.name))
            return redirect(url_for("staff.peer_assignments", period_code=period.code))
    elif form.is_submitted():
        status = 400
    return render_template(
        "staff/evaluation/peers.html",
        **_common(
            period,
            form=form,
            links=assessments.peer_assignments(hall, period),
            remove_form=CsrfForm(formdata=None),
        ),
    ), status


@bp.post("/evaluation/peers/<int:link_id>/remove")
@roles_required("supervisor")
def remove_peer_assignment(link_id: int) -> ResponseReturnValue:
    """Withdraw a peer assignment that has no assessment yet."""
    hall = _hall()
    link = db.session.get(PeerAssignment, link_id)
    if link is None or link.hall_id != hall.id:
        abort(404)
    if not CsrfForm().validate():
        abort(400)
    period_code = link.period
    try:
        assessments.remove_peer_assignment(link)
    except EvaluationError as error:
        flash(str(error))
    else:
        db.session.commit()
        flash(_("已撤销这项互评安排。"))
    return redirect(url_for("staff.peer_assignments", period_code=period_code))


# --------------------------------------------------------------------------------------------
# Import


@bp.route("/evaluation/<period_code>/import", methods=["GET", "POST"])
@roles_required("supervisor")
def import_assessments(period_code: str) -> ResponseReturnValue:
    """Import assessments from an XLSX or CSV file: all rows or none, with a per-row report."""
    period = _period(period_code)
    hall = _hall()
    scheme = ev.current_scheme()
    form = ImportForm()
    errors: list[assessment_import.RowError] = []
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            table = assessment_import.read_table(upload.filename or "", upload.read())
            outcome = assessment_import.import_assessments(
                hall, period, table, actor=current_user, now=clock.now(), scheme=scheme
            )
        except assessment_import.ImportRejected as rejected:
            db.session.rollback()
            errors = rejected.errors
            form.file.errors = [str(rejected)]
            status = 400
        except EvaluationError as error:
            db.session.rollback()
            form.file.errors = [str(error)]
            status = 400
        else:
            db.session.commit()
            flash(
                _(
                    "导入成功：新增 %(c)s 份，更新 %(u)s 份评价。",
                    c=outcome.created,
                    u=outcome.updated,
                )
            )
            return redirect(url_for("staff.assessment_progress", period_code=period.code))
    elif form.is_submitted():
        status = 400
    return render_template(
        "staff/evaluation/import.html",
        **_common(
            period,
            form=form,
            errors=errors,
            scheme=scheme,
            headers=assessment_import.template_headers(scheme),
            kind_words=assessment_import.KIND_WORDS,
        ),
    ), status


@bp.get("/evaluation/<period_code>/import/template.csv")
@roles_required("supervisor")
def import_template(period_code: str) -> ResponseReturnValue:
    """Download an empty import file with the header row (CSV, UTF-8 with BOM)."""
    period = _period(period_code)
    scheme = ev.current_scheme()
    headers = assessment_import.template_headers(scheme)
    example = [period.code, _("自评"), "XF001", "XF001"] + [
        f"{leaf.max_points:g}" for leaf in scheme.leaves
    ]
    body = "\ufeff" + ",".join(headers) + "\r\n" + ",".join(example) + "\r\n"
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="assessments-{period.code}.csv"'},
    )


# --------------------------------------------------------------------------------------------
# Adjustments ledger


@bp.route("/evaluation/<period_code>/adjustments", methods=["GET", "POST"])
@roles_required("supervisor")
def adjustments(period_code: str) -> ResponseReturnValue:
    """Show the period's ledger and add a bonus or manual deduction."""
    period = _period(period_code)
    hall = _hall()
    scheme = ev.current_scheme()
    form = AdjustmentForm()
    form.staff.choices = as_choices(
        [(s.id, f"{s.staff_no} {s.name}") for s in people.hall_staff(hall.id, active_only=True)]
    )
    approvers = ledger.approvers(hall)
    form.approver.choices = as_choices(
        [(u.id, evaluation_inputs.approver_name(u)) for u in approvers]
    )
    form.category.choices = as_choices(
        [("", _("不属于以下类别（自由填写原因）")), *ledger.category_choices(scheme)]
    )
    if request.method == "GET" and current_user in approvers:
        form.approver.data = current_user.id
    status = 200
    if form.validate_on_submit():
        person = people.hall_member(hall.id, form.staff.data)
        approver = next((u for u in approvers if u.id == form.approver.data), None)
        if person is None or approver is None:
            abort(400)
        category, _sep, level = (form.category.data or "").partition(":")
        points = form.points.data
        try:
            ledger.add_adjustment(
                hall,
                period,
                person,
                kind=form.kind.data,
                points=None if points is None else float(points),
                reason=form.reason.data or "",
                evidence=form.evidence.data or "",
                approver=approver,
                actor=current_user,
                now=clock.now(),
                category=category,
                level=level,
                matter=form.matter.data or "",
            )
        except EvaluationError as error:
            db.session.rollback()
            add_error(form.reason, str(error))
            status = 400
        else:
            db.session.commit()
            flash(_("已登记。"))
            return redirect(url_for("staff.adjustments", period_code=period.code))
    elif form.is_submitted():
        status = 400
    return render_template(
        "staff/evaluation/adjustments.html",
        **_common(
            period,
            form=form,
            lines=ledger.ledger(hall, period, scheme),
            ledger_labels=LEDGER_KIND_LABELS,
            void_form=ReasonForm(formdata=None),
            bonus_cap=scheme.bonus_cap,
            snapshot=ev.snapshot_for(hall, period),
        ),
    ), status


@bp.post("/evaluation/adjustments/<int:adjustment_id>/void")
@roles_required("supervisor")
def void_adjustment(adjustment_id: int) -> ResponseReturnValue:
    """Void a ledger entry with a reason."""
    hall = _hall()
    entry = ledger.adjustment_in_hall(hall, adjustment_id) or abort(404)
    form = ReasonForm()
    if not form.validate():
        flash(_("请填写作废原因。"))
        return redirect(url_for("staff.adjustments", period_code=entry.period))
    try:
        ledger.void_adjustment(
            entry, actor=current_user, reason=filled(form.reason.data), now=clock.now()
        )
    except EvaluationError as error:
        flash(str(error))
    else:
        db.session.commit()
        flash(_("已作废。"))
    return redirect(url_for("staff.adjustments", period_code=entry.period))
