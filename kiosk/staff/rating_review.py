"""Ratings review (评价审核): the filterable ratings log, its CSV export, the quarantine list."""

from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from kiosk import clock
from kiosk.auth import roles_required
from kiosk.converters import MAX_ID
from kiosk.errors import render_error
from kiosk.extensions import db
from kiosk.forms import DayInRange, as_choices, filled
from kiosk.labels import CHANNEL_LABELS, LEVEL_LABELS, STATUS_LABELS
from kiosk.models import RATING_CHANNELS, RATING_STATUSES, Rating
from kiosk.services import people, rating_export, rating_review
from kiosk.services import windows as windows_service
from kiosk.services.rating_review import RatingFilter, ReviewError
from kiosk.staff import bp
from kiosk.staff._params import choice_id, optional_int, page_number, pagination

PER_PAGE = 50


def _optional_bool(value: Any) -> bool | None:
    """Coerce the yes/no/all select: "1", "0", "" (all); anything else is a form error."""
    choices = {"1": True, "0": False, "": None, "None": None}
    if str(value) not in choices:
        raise ValueError("not a yes/no choice")
    return choices[str(value)]


class RatingFilterForm(FlaskForm):
    """The log's filters (GET: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    window = SelectField(_l("窗口"), coerce=choice_id, validators=[Optional()])
    staff = SelectField(_l("工作人员"), coerce=choice_id, validators=[Optional()])
    level = SelectField(_l("评价"), coerce=choice_id, validators=[Optional()])
    channel = SelectField(_l("渠道"), validators=[Optional()])
    verified = SelectField(_l("一次一评"), coerce=_optional_bool, validators=[Optional()])
    status = SelectField(_l("状态"), validators=[Optional()])
    start = DateField(_l("起始日期"), validators=[Optional(), DayInRange()])
    end = DateField(_l("截止日期"), validators=[Optional(), DayInRange()])


class ReviewForm(FlaskForm):
    decision = SelectField(
        _l("审核决定"),
        choices=as_choices([("release", _l("放行：计入统计")), ("exclude", _l("排除：不计入"))]),
        validators=[InputRequired()],
    )
    reason = TextAreaField(
        _l("审核理由"), validators=[DataRequired(_l("请填写审核理由")), Length(max=500)]
    )


def _filter_form() -> RatingFilterForm:
    form = RatingFilterForm(request.args)
    hall_id = current_user.hall_id
    everyone = (None, _("全部"))
    form.window.choices = as_choices(
        [
            everyone,
            *(
                (w.id, _("%(n)s号窗口 %(name)s", n=w.number, name=w.name))
                for w in windows_service.hall_windows(hall_id)
            ),
        ]
    )
    form.staff.choices = as_choices(
        [
            everyone,
            *((s.id, f"{s.name} {s.staff_no}") for s in people.hall_staff(hall_id)),
        ]
    )
    form.level.choices = as_choices(
        [everyone, *((n, f"{n} {LEVEL_LABELS[n]}") for n in (5, 4, 3, 2, 1))]
    )
    form.channel.choices = as_choices(
        [("", _("全部")), *((c, CHANNEL_LABELS[c]) for c in RATING_CHANNELS)]
    )
    form.verified.choices = as_choices([("", _("全部")), ("1", _("是")), ("0", _("否"))])
    form.status.choices = as_choices(
        [("", _("全部")), *((s, STATUS_LABELS[s]) for s in RATING_STATUSES)]
    )
    return form


def _filters(form: RatingFilterForm) -> RatingFilter:
    return RatingFilter(
        window_id=form.window.data,
        staff_id=form.staff.data,
        level=form.level.data,
        channel=form.channel.data or None,
        verified=form.verified.data,
        status=form.status.data or None,
        start=form.start.data,
        end=form.end.data,
    )


@bp.get("/ratings/")
@roles_required("supervisor")
def ratings_log() -> ResponseReturnValue:
    """List the hall's ratings with filters, newest first."""
    form = _filter_form()
    valid = not request.args or form.validate()
    page = page_number(request.args.get("page"))
    rows, total = (
        rating_review.rating_page(
            current_user.hall_id, _filters(form), page=page, per_page=PER_PAGE
        )
        if valid
        else ([], 0)
    )
    return render_template(
        "staff/ratings/log.html",
        form=form,
        rows=rows,
        total=total,
        **pagination(page, total, PER_PAGE),
        export_refusal=rating_export.too_large(total, current_user.hall.slug, _filters(form)),
        levels=LEVEL_LABELS,
        channels=CHANNEL_LABELS,
        statuses=STATUS_LABELS,
    ), (200 if valid else 400)


@bp.get("/ratings/export.csv")
@roles_required("supervisor")
def export_ratings() -> ResponseReturnValue:
    """Download the filtered ratings log as CSV (opens in Excel), if small enough to stream."""
    form = _filter_form()
    if request.args and not form.validate():
        # Refused here, before the first row is streamed: once the 200 is sent, an error
        # could only cut the file off.
        problems = [f"{field.label.text}: {field.errors[0]}" for field in form if field.errors]
        return render_error(400, " ".join(problems))
    filters = _filters(form)
    rows = rating_export.count(current_user.hall_id, filters)
    if rating_export.too_large(rows, current_user.hall.slug, filters):
        # Refused before the first byte, on the log page with the same filters: it says how
        # many rows the range has and how to get them (narrower ranges, or the command).
        same_filters: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("staff.ratings_log", **same_filters), 303)
    stamp = clock.to_local(clock.now()).strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(rating_export.export_csv(current_user.hall_id, filters)),
        mimetype="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="ratings-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/ratings/quarantine")
@roles_required("supervisor")
def quarantine() -> ResponseReturnValue:
    """List quarantined ratings with the reason each was flagged, to release or exclude."""
    return _quarantine_page(ReviewForm(formdata=None), set(), 200)


@bp.post("/ratings/quarantine")
@roles_required("supervisor")
def review_ratings() -> ResponseReturnValue:
    """Release or exclude the ticked ratings of the queue alike, with one reason (each logged)."""
    ids = [optional_int(value) for value in request.form.getlist("rating")]
    if None in ids or len(ids) > rating_review.QUEUE_SHOWN:
        abort(400)  # not what the page sends
    chosen = {rating_id for rating_id in ids if rating_id is not None}
    form = ReviewForm()
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("请选择审核决定并填写理由。"))
        return _quarantine_page(form, chosen, 400)
    if not chosen:
        flash(_("请先勾选要审核的评价。"))
        return _quarantine_page(form, chosen, 400)
    try:
        reviewed, skipped = rating_review.review_many(
            current_user.hall_id,
            chosen,
            current_user,
            decision=form.decision.data,
            reason=filled(form.reason.data),
            now=clock.now(),
        )
    except LookupError:
        abort(404)  # an id of no rating of this hall: not what the page offered
    db.session.commit()
    if form.decision.data == "release":
        flash(_("已放行 %(n)s 条评价。", n=reviewed))
    else:
        flash(_("已排除 %(n)s 条评价。", n=reviewed))
    if skipped:
        flash(_("另有 %(n)s 条已不在待审核列表中（可能已由他人处理），未再改动。", n=skipped))
    return redirect(url_for("staff.quarantine"), 303)


@bp.post("/ratings/<int:rating_id>/review")
@roles_required("supervisor")
def review_rating(rating_id: int) -> ResponseReturnValue:
    """Release a quarantined rating or exclude it, with a reason (logged)."""
    rating = db.session.get(Rating, rating_id) if rating_id <= MAX_ID else None
    if rating is None or rating.hall_id != current_user.hall_id:
        abort(404)
    form = ReviewForm()
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("请选择审核决定并填写理由。"))
        return _quarantine_page(form, {rating_id}, 400)
    try:
        rating_review.review(
            rating,
            current_user,
            decision=form.decision.data,
            reason=filled(form.reason.data),
            now=clock.now(),
        )
    except ReviewError as error:
        db.session.rollback()
        flash(str(error))
        return _quarantine_page(form, set(), 409)
    db.session.commit()
    flash(_("已放行该评价。") if form.decision.data == "release" else _("已排除该评价。"))
    return redirect(url_for("staff.quarantine"), 303)


def _quarantine_page(form: ReviewForm, chosen: set[int], status: int) -> tuple[str, int]:
    # form and chosen: what the supervisor sent, shown again after an error so nothing is lost.
    hall_id = current_user.hall_id
    return render_template(
        "staff/ratings/quarantine.html",
        rows=rating_review.quarantined(hall_id),
        total=rating_review.quarantined_count(hall_id),
        form=form,
        chosen=chosen,
        explain=rating_review.explain_flag,
        levels=LEVEL_LABELS,
        channels=CHANNEL_LABELS,
    ), status
