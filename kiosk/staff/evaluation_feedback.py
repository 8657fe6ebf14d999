"""反馈与异议 on the result page: the forms and what the page shows of them.

The routes that take the forms are in kiosk.staff.evaluation_results, beside the result page
they return to; the rules are kiosk.services.result_feedback's.
"""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from kiosk import clock
from kiosk.forms import SelectChoice
from kiosk.models import Hall, Staff
from kiosk.services import evaluation as ev
from kiosk.services import periods
from kiosk.services import result_feedback as fb
from kiosk.services.evaluation_inputs import approver_name
from kiosk.staff.evaluation import _is_supervisor


class FeedbackForm(FlaskForm):
    """A supervisor's feedback and improvement suggestions on a finalised result."""

    feedback = TextAreaField(
        _l("反馈意见"), validators=[DataRequired(_l("请填写反馈意见。")), Length(max=fb.TEXT_LIMIT)]
    )
    suggestions = TextAreaField(_l("改进建议"), validators=[Length(max=fb.TEXT_LIMIT)])


class AcknowledgeForm(FlaskForm):
    """已阅: nothing but the CSRF token."""


class ObjectionForm(FlaskForm):
    """异议: the person's written objection to their result."""

    text = TextAreaField(
        _l("异议理由"),
        validators=[DataRequired(_l("请写明异议的理由。")), Length(max=fb.TEXT_LIMIT)],
    )


class DecisionForm(FlaskForm):
    """A supervisor's decision on an objection."""

    outcome = RadioField(
        _l("处理结果"),
        choices=[SelectChoice(code, label) for code, label in fb.DECISIONS.items()],
        validators=[DataRequired(_l("请选择处理结果。"))],
    )
    note = TextAreaField(
        _l("处理意见"), validators=[DataRequired(_l("请填写处理意见。")), Length(max=fb.TEXT_LIMIT)]
    )


FORMS = {
    "feedback_form": FeedbackForm,
    "acknowledge_form": AcknowledgeForm,
    "objection_form": ObjectionForm,
    "decision_form": DecisionForm,
}


def feedback_context(
    hall: Hall,
    period: periods.Period,
    person: Staff,
    report: ev.Report,
    forms: dict[str, FlaskForm],
) -> dict[str, Any]:
    """Return what the result page shows of feedback and objection, and the forms it offers."""
    if report.snapshot is None:
        return {"feedback": None, "finalised": False}
    row = fb.feedback_for(hall, period, person)
    now = clock.now()
    is_self = current_user.staff_id == person.id
    filled: dict[str, Any] = {}
    for name, form_class in FORMS.items():
        filled[name] = forms.get(name) or form_class(formdata=None)
    if row is not None and row.written_at is not None and "feedback_form" not in forms:
        filled["feedback_form"].feedback.data = row.feedback
        filled["feedback_form"].suggestions.data = row.suggestions
    return {
        "finalised": True,
        "feedback": row,
        "is_self": is_self,
        "objection_due": fb.objection_due_at(hall, report.snapshot),
        "may_object": is_self and fb.may_object(hall, period, person, now),
        "may_decide": row is not None
        and _is_supervisor()
        and fb.may_decide(report.snapshot, row, current_user),
        "decision_labels": fb.DECISIONS,
        "user_name": approver_name,
        **filled,
    }
