"""Complaint handling (差评处理): the supervisors' queue, a complaint's page and its steps.

Supervisors see every complaint of their hall; a window clerk sees only complaints about
themselves (to appeal), never the complainant's phone number, nor a number typed into the text
(kiosk.services.complaint_contacts).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from kiosk import clock
from kiosk.auth import roles_required
from kiosk.converters import MAX_ID
from kiosk.extensions import db
from kiosk.forms import DayInRange, SelectChoice, as_choices, filled
from kiosk.labels import (
    APPEAL_LABELS,
    COMPLAINT_ACTION_LABELS,
    COMPLAINT_STATUS_LABELS,
    LEVEL_LABELS,
    REASON_LABELS,
    SATISFACTION_LABELS,
    SEVERITY_LABELS,
)
from kiosk.models import (
    COMPLAINT_STATUSES,
    REASON_TAGS,
    SATISFACTIONS,
    SEVERITIES,
    Complaint,
    Staff,
    Window,
)
from kiosk.services import complaint_contacts, complaints, people
from kiosk.services import windows as windows_service
from kiosk.services.complaints import ComplaintError
from kiosk.services.privacy import mask_phone
from kiosk.staff import bp
from kiosk.staff._params import choice_id, page_number, pagination

NOTE_MAX = complaints.NOTE_MAX
PER_PAGE = 50


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class QueueFilterForm(FlaskForm):
    """The queue's filters (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(_l("状态"), validators=[Optional()])
    window = SelectField(_l("窗口"), coerce=choice_id, validators=[Optional()])
    staff = SelectField(_l("工作人员"), coerce=choice_id, validators=[Optional()])
    tag = SelectField(_l("原因"), validators=[Optional()])
    overdue = BooleanField(_l("仅看超期"))
    appeal = BooleanField(_l("仅看待复核申诉"))
    start = DateField(_l("起始日期"), validators=[Optional(), DayInRange()])
    end = DateField(_l("截止日期"), validators=[Optional(), DayInRange()])


class VerifyForm(FlaskForm):
    verdict = RadioField(
        _l("核实结论"),
        choices=as_choices([("valid", _l("投诉有效")), ("invalid", _l("投诉无效"))]),
        validators=[InputRequired(_l("请选择核实结论"))],
    )
    severity = SelectField(
        _l("严重程度（有效时必选）"),
        choices=as_choices([("", "—"), *((s, SEVERITY_LABELS[s]) for s in SEVERITIES)]),
        validators=[Optional()],
    )
    reason = TextAreaField(
        _l("核实意见"), validators=[DataRequired(_l("请填写核实意见")), Length(max=NOTE_MAX)]
    )


class NoteForm(FlaskForm):
    note = TextAreaField(_l("说明（选填）"), validators=[Optional(), Length(max=NOTE_MAX)])


class RectifyForm(FlaskForm):
    note = TextAreaField(
        _l("整改情况"), validators=[DataRequired(_l("请填写整改情况")), Length(max=NOTE_MAX)]
    )


class FollowUpForm(FlaskForm):
    satisfaction = RadioField(
        _l("投诉人对整改的评价"),
        choices=as_choices([(s, SATISFACTION_LABELS[s]) for s in SATISFACTIONS]),
        validators=[InputRequired(_l("请选择投诉人的评价"))],
    )
    note = TextAreaField(_l("回访记录（选填）"), validators=[Optional(), Length(max=NOTE_MAX)])


class AppealForm(FlaskForm):
    reason = TextAreaField(
        _l("申诉理由"), validators=[DataRequired(_l("请填写申诉理由")), Length(max=NOTE_MAX)]
    )


class ReviewForm(FlaskForm):
    outcome = RadioField(
        _l("复核结论"),
        choices=as_choices(
            [("uphold", _l("维持原核实结论")), ("overturn", _l("撤销：投诉不成立"))]
        ),
        validators=[InputRequired(_l("请选择复核结论"))],
    )
    reason = TextAreaField(
        _l("复核意见"), validators=[DataRequired(_l("请填写复核意见")), Length(max=NOTE_MAX)]
    )


class RevealForm(FlaskForm):
    """CSRF-only form for the deliberate 查看完整电话 button."""


class EraseContactForm(FlaskForm):
    """Erase the complainant's contact at their request: a ticked confirmation, a note."""

    note = TextAreaField(
        _l("说明（选填，如居民何时如何提出）"), validators=[Optional(), Length(max=NOTE_MAX)]
    )
    confirm = BooleanField(
        _l("投诉人要求删除其联系方式，删除后无法恢复"),
        validators=[DataRequired(_l("请勾选确认后再删除"))],
    )


class StandaloneForm(FlaskForm):
    window = SelectField(_l("窗口（选填）"), coerce=choice_id, validators=[Optional()])
    staff = SelectField(_l("被投诉人员（选填）"), coerce=choice_id, validators=[Optional()])
    reasons = MultiCheckboxField(
        _l("原因（可多选）"), choices=as_choices([(tag, REASON_LABELS[tag]) for tag in REASON_TAGS])
    )
    text = TextAreaField(
        _l("投诉内容"), validators=[DataRequired(_l("请填写投诉内容")), Length(max=NOTE_MAX)]
    )
    phone = StringField(
        _l("投诉人电话（选填）"),
        validators=[Optional(), Regexp(r"^1[3-9]\d{9}$", message=_l("请输入11位手机号码"))],
    )


@dataclass(frozen=True)
class Action:
    form: type[FlaskForm]
    run: Callable[[Complaint, Any, Any, Any], None]
    done: Any  # flash message on success
    roles: tuple[str, ...] = ("supervisor",)


ACTIONS: dict[str, Action] = {
    "verify": Action(
        VerifyForm,
        lambda c, u, f, now: complaints.verify(
            c,
            u,
            valid=f.verdict.data == "valid",
            reason=f.reason.data,
            severity=f.severity.data or None,
            now=now,
        ),
        _l("已记录核实结论。"),
    ),
    "start-rectification": Action(
        NoteForm,
        lambda c, u, f, now: complaints.start_rectification(c, u, note=f.note.data, now=now),
        _l("已开始整改。"),
    ),
    "rectify": Action(
        RectifyForm,
        lambda c, u, f, now: complaints.rectify(c, u, note=f.note.data, now=now),
        _l("已记录整改情况。"),
    ),
    "follow-up": Action(
        FollowUpForm,
        lambda c, u, f, now: complaints.follow_up(
            c, u, satisfaction=f.satisfaction.data, note=f.note.data, now=now
        ),
        _l("已记录回访。"),
    ),
    "close": Action(
        NoteForm,
        lambda c, u, f, now: complaints.close(c, u, note=f.note.data, now=now),
        _l("投诉已办结。"),
    ),
    "appeal": Action(
        AppealForm,
        lambda c, u, f, now: complaints.appeal(c, u, reason=f.reason.data, now=now),
        _l("申诉已提交，将由其他负责人复核。"),
        roles=("staff", "supervisor"),
    ),
    "review": Action(
        ReviewForm,
        lambda c, u, f, now: complaints.review_appeal(
            c, u, overturn=f.outcome.data == "overturn", reason=f.reason.data, now=now
        ),
        _l("已记录复核结论。"),
    ),
}


@bp.app_template_filter("due_label")
def due_label(due: datetime, full: bool = False) -> str:
    """Show a deadline as its last day, "11-23 24:00", as halls speak of deadlines."""
    local = clock.to_local(due)
    pattern = "%Y-%m-%d" if full else "%m-%d"
    if local.time() == time(0, 0):
        return (local.date() - timedelta(days=1)).strftime(pattern) + " 24:00"
    return local.strftime(pattern + " %H:%M")


def _is_supervisor() -> bool:
    return bool(current_user.has_role("supervisor"))


def _complaint_or_404(complaint_id: int) -> Complaint:
    """Load a complaint the signed-in user may see: their hall's; a clerk only their own."""
    complaint = db.session.get(Complaint, complaint_id) if complaint_id <= MAX_ID else None
    if complaint is None or complaint.hall_id != current_user.hall_id:
        abort(404)
    if not _is_supervisor() and (
        current_user.staff_id is None or complaint.staff_id != current_user.staff_id
    ):
        abort(404)
    return complaint


def _choices(rows: Iterable[Any], label: Callable[[Any], str]) -> list[SelectChoice]:
    return as_choices([(None, _("全部")), *((row.id, label(row)) for row in rows)])


def _window_label(w: Window) -> str:
    return _("%(n)s号窗口 %(name)s", n=w.number, name=w.name)


def _staff_label(s: Staff) -> str:
    return f"{s.name} {s.staff_no}"


# The step each status waits for, when no appeal is pending.
STAGE_STEPS = {
    "new": "verify",
    "valid": "start-rectification",
    "rectifying": "rectify",
    "rectified": "follow-up",
    "followed_up": "close",
    "invalid": "close",
}


def next_step(complaint: Complaint, appeal: str | None, *, may_appeal: bool) -> str | None:
    """Return the one step the signed-in user's page offers as a form, or None.

    A pending appeal comes first: until it is reviewed the page offers only the review (to a
    supervisor other than the verifier), not the stage's own step beside it. The clerk the
    complaint is about may appeal a valid verdict once, inside the appeal period.
    """
    concerned = current_user.staff_id is not None and current_user.staff_id == complaint.staff_id
    if _is_supervisor() and not concerned:
        if appeal == "pending":
            first = complaints.verifier(complaint)
            return None if first is not None and first.id == current_user.id else "review"
        return STAGE_STEPS.get(complaint.status)
    if concerned and complaint.is_valid and appeal is None and may_appeal:
        return "appeal"
    return None


def _render_detail(
    complaint: Complaint,
    *,
    status: int = 200,
    forms: dict[str, Any] | None = None,
    revealed: bool = False,
    erase_form: EraseContactForm | None = None,
) -> Response:
    blank = {name: action.form(formdata=None) for name, action in ACTIONS.items()}
    blank.update(forms or {})
    supervisor = _is_supervisor()
    now = clock.now()
    appeal = complaints.appeal_state(complaint)
    may_appeal = complaints.may_still_appeal(complaint, now)
    page = render_template(
        "staff/complaints/show.html",
        complaint=complaint,
        events=complaints.timeline(complaint),
        forms=blank,
        reveal_form=RevealForm(),
        erase_form=erase_form or EraseContactForm(formdata=None),
        supervisor=supervisor,
        is_concerned=current_user.staff_id is not None
        and current_user.staff_id == complaint.staff_id,
        appeal=appeal,
        appeal_due=complaints.appeal_due_at(complaint),
        may_appeal=may_appeal,
        step=next_step(complaint, appeal, may_appeal=may_appeal),
        verifier=complaints.verifier(complaint),
        due=complaints.current_due_at(complaint),
        overdue=complaints.is_overdue(complaint, now),
        now=now,
        masked_phone=mask_phone(complaint.contact_phone) if supervisor else "",
        phone=complaint.contact_phone if revealed else None,
        revealed=revealed,
        text=complaint_contacts.staff_text(complaint, supervisor=supervisor, revealed=revealed),
        has_contact=complaint_contacts.has_contact(complaint),
        labels=_labels(),
    )
    response = make_response(page, status)
    if revealed:
        response.headers["Cache-Control"] = "no-store"
    return response


def _labels() -> dict[str, Any]:
    return {
        "status": COMPLAINT_STATUS_LABELS,
        "reason": REASON_LABELS,
        "severity": SEVERITY_LABELS,
        "satisfaction": SATISFACTION_LABELS,
        "action": COMPLAINT_ACTION_LABELS,
        "appeal": APPEAL_LABELS,
        "level": LEVEL_LABELS,
    }


@bp.get("/complaints/")
@roles_required("supervisor")
def complaint_queue() -> ResponseReturnValue:
    """List the hall's complaints with filters and deadline badges."""
    form = QueueFilterForm(request.args)
    form.status.choices = as_choices(
        [
            ("", _("全部")),
            ("open", _("未办结")),
            *((s, COMPLAINT_STATUS_LABELS[s]) for s in COMPLAINT_STATUSES),
        ]
    )
    form.window.choices = _choices(
        windows_service.hall_windows(current_user.hall_id), _window_label
    )
    form.staff.choices = _choices(people.hall_staff(current_user.hall_id), _staff_label)
    form.tag.choices = as_choices([("", _("全部")), *((t, REASON_LABELS[t]) for t in REASON_TAGS)])
    now = clock.now()
    if request.args and not form.validate():
        return _queue_page(form, [], 0, {"page": 1, "pages": 1, "args": {}}, now), 400
    page = page_number(request.args.get("page"))
    filters = complaints.QueueFilter(
        status=form.status.data or None,
        window_id=form.window.data,
        staff_id=form.staff.data,
        tag=form.tag.data or None,
        overdue=bool(form.overdue.data),
        appeal_pending=bool(form.appeal.data),
        start=form.start.data,
        end=form.end.data,
    )
    rows, total = complaints.queue(current_user.hall_id, filters, now, page=page, per_page=PER_PAGE)
    return _queue_page(form, rows, total, pagination(page, total, PER_PAGE), now)


def _queue_page(
    form: QueueFilterForm, rows: list[Complaint], total: int, paging: dict[str, Any], now: datetime
) -> str:
    return render_template(
        "staff/complaints/queue.html",
        form=form,
        rows=rows,
        total=total,
        **paging,
        now=now,
        labels=_labels(),
        mask_phone=mask_phone,
        due_of=complaints.current_due_at,
        appeals=complaints.appeal_states(rows),
    )


@bp.route("/complaints/new", methods=["GET", "POST"])
@roles_required("supervisor")
def new_complaint() -> ResponseReturnValue:
    """Record a complaint received by phone, letter or in person."""
    form = StandaloneForm()
    form.window.choices = _choices(
        windows_service.hall_windows(current_user.hall_id), _window_label
    )
    form.staff.choices = _choices(people.hall_staff(current_user.hall_id), _staff_label)
    if form.validate_on_submit():
        window = db.session.get(Window, form.window.data) if form.window.data else None
        staff = db.session.get(Staff, form.staff.data) if form.staff.data else None
        try:
            complaint = complaints.create_standalone(
                current_user.hall_id,
                current_user,
                window=window,
                staff=staff,
                reason_tags=form.reasons.data or [],
                text=filled(form.text.data),
                phone=form.phone.data,
                now=clock.now(),
            )
        except ComplaintError as error:
            db.session.rollback()
            flash(error.message)
            return render_template("staff/complaints/new.html", form=form), error.status
        db.session.commit()
        flash(_("投诉已登记。"))
        return redirect(url_for("staff.complaint", complaint_id=complaint.id), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("staff/complaints/new.html", form=form), status


@bp.get("/complaints/<int:complaint_id>")
def complaint(complaint_id: int) -> ResponseReturnValue:
    """Show a complaint, its deadlines, its whole timeline and the next steps."""
    return _render_detail(_complaint_or_404(complaint_id))


@bp.post("/complaints/<int:complaint_id>/<action>")
def complaint_action(complaint_id: int, action: str) -> ResponseReturnValue:
    """Take one step of the complaint loop (verify, rectify, follow up, close, appeal, review)."""
    spec = ACTIONS.get(action)
    if spec is None:
        abort(404)
    if not current_user.has_role(*spec.roles):
        abort(403)
    target = _complaint_or_404(complaint_id)
    form = spec.form()
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        return _render_detail(target, status=400, forms={action: form})
    try:
        spec.run(target, current_user, form, clock.now())
    except ComplaintError as error:
        db.session.rollback()
        flash(error.message)
        # Reloaded after the rollback (the same row, as the step found it).
        return _render_detail(_complaint_or_404(complaint_id), status=error.status)
    db.session.commit()
    flash(str(spec.done))
    return redirect(url_for("staff.complaint", complaint_id=complaint_id), 303)


@bp.post("/complaints/<int:complaint_id>/reveal-phone")
@roles_required("supervisor")
def reveal_phone(complaint_id: int) -> ResponseReturnValue:
    """Show the complainant's full number (and text) once, for the call-back; it is logged."""
    target = _complaint_or_404(complaint_id)
    if not RevealForm().validate():
        abort(400)
    try:
        complaints.reveal_phone(target, current_user, clock.now())
    except ComplaintError as error:
        db.session.rollback()
        flash(error.message)
        return _render_detail(target, status=error.status)
    db.session.commit()
    return _render_detail(target, revealed=True)


@bp.post("/complaints/<int:complaint_id>/erase-contact")
@roles_required("supervisor")
def erase_contact(complaint_id: int) -> ResponseReturnValue:
    """Erase the complainant's number and the numbers in their text, at their request."""
    target = _complaint_or_404(complaint_id)
    form = EraseContactForm()
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        return _render_detail(target, status=400, erase_form=form)
    try:
        complaints.erase_contact_on_request(
            target, current_user, note=form.note.data or "", now=clock.now()
        )
    except ComplaintError as error:
        db.session.rollback()
        flash(error.message)
        return _render_detail(target, status=error.status)
    db.session.commit()
    flash(_("已删除投诉人的联系方式。"))
    return redirect(url_for("staff.complaint", complaint_id=complaint_id), 303)
