"""Scoring in a round: a group member's rounds, the stations they score and the checklist form.

Members are the district's assessors and residents' representatives, and staff accounts of the
district's stations (交叉考核). Those are hall accounts, which the district area refuses
everywhere else: kiosk.district lets one in on these pages only (HALL_MEMBER_ENDPOINTS) while
it sits in one of the district's rounds, and each page here shows only the rounds it sits in.
Nobody is shown, or may score, their own station.
"""

import math

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import Optional

from kiosk import clock
from kiosk.district import bp
from kiosk.district.rounds import round_labels
from kiosk.extensions import db
from kiosk.forms import SelectChoice
from kiosk.models import HALL_ROLES, District, Hall, RoundMember, StationRound
from kiosk.services import round_evidence, round_scores
from kiosk.services import station_rounds as rounds_service
from kiosk.services.round_scores import Entry
from kiosk.services.station_rounds import RoundError
from scoring.scheme import Criterion

MEMBER_ROLES = ("district_assessor", "resident_rep", *HALL_ROLES)
POINTS_PREFIX = "points-"
NOTE_PREFIX = "note-"


class ScoreForm(FlaskForm):
    """CSRF only: the checklist's fields are read item by item (their codes are the scheme's)."""


class EvidenceForm(FlaskForm):
    """A photo or PDF for the station, or for one of its items."""

    file = FileField(
        _l("佐证材料（JPG、PNG 照片或 PDF）"), validators=[FileRequired(_l("请选择文件"))]
    )
    item = SelectField(_l("对应的考核项"), validators=[Optional()])

    def fill_choices(self, items: list[Criterion]) -> None:
        self.item.choices = [
            SelectChoice("", _("整个站点")),
            *(SelectChoice(i.code, i.label) for i in items),
        ]


def member_district() -> District | None:
    """Return the district the signed-in account may score in: its own, or its hall's."""
    if current_user.is_district_user:
        district: District | None = current_user.district
        return district
    hall: Hall | None = current_user.hall
    return hall.district if hall is not None else None


def hall_member_may_enter(slug: str | None) -> bool:
    """Return whether the signed-in hall account sits in a round of the district named slug."""
    district = member_district()
    return (
        district is not None
        and district.slug == slug
        and rounds_service.is_member_in_district(current_user, district.id)
    )


def _district(slug: str) -> District:
    if current_user.role not in MEMBER_ROLES:  # a district admin names groups, sits in none
        abort(403)
    district = member_district()
    if district is None:
        abort(403)
    if district.slug != slug:
        abort(404)
    return district


def membership_or_404(slug: str, round_id: int) -> tuple[StationRound, RoundMember]:
    district = _district(slug)
    round_ = rounds_service.round_in_district(district.id, round_id)
    member = rounds_service.membership(round_, current_user) if round_ is not None else None
    if round_ is None or member is None:
        abort(404)
    return round_, member


@bp.get("/<slug>/my-rounds")
@login_required
def my_rounds(slug: str) -> ResponseReturnValue:
    """List the rounds the signed-in account scores in, newest first."""
    district = _district(slug)
    return render_template(
        "district/rounds/mine.html",
        district=district,
        memberships=rounds_service.member_rounds(current_user, district.id),
        **round_labels(),
    )


@bp.get("/<slug>/rounds/<int:round_id>/score")
@login_required
def score_stations(slug: str, round_id: int) -> ResponseReturnValue:
    """List the round's stations the member scores (never their own), with their progress."""
    round_, member = membership_or_404(slug, round_id)
    return render_template(
        "district/rounds/score_stations.html",
        district=round_.district,
        round=round_,
        member=member,
        stations=rounds_service.stations_to_score(round_, member),
        scored=round_scores.scored_counts(round_, member),
        items=len(round_scores.items_for(round_scores.scheme_of(round_), member.role)),
        **round_labels(),
    )


def round_station(
    round_: StationRound, member: RoundMember, hall_id: int
) -> Hall | ResponseReturnValue:
    """Return the round's station, or the page refusing it (404 if it is not in the round)."""
    hall = next((s.hall for s in round_.stations if s.hall_id == hall_id), None)
    if hall is None:
        abort(404)
    if hall.id == member.home_hall_id:
        return _refused(round_, _("不能为本人所在的站点评分。"), 403)
    return hall


def _refused(round_: StationRound, message: str, status: int) -> ResponseReturnValue:
    return render_template(
        "district/rounds/refused.html", district=round_.district, round=round_, message=message
    ), status


def render_form(
    round_: StationRound,
    member: RoundMember,
    hall: Hall,
    form: ScoreForm,
    values: dict[str, tuple[str, str]],
    errors: dict[str, str],
    status: int,
    evidence_form: EvidenceForm | None = None,
) -> ResponseReturnValue:
    scheme = round_scores.scheme_of(round_)
    items = round_scores.items_for(scheme, member.role)
    if evidence_form is None:
        evidence_form = EvidenceForm(formdata=None)
    evidence_form.fill_choices(items)
    return render_template(
        "district/rounds/score.html",
        district=round_.district,
        round=round_,
        member=member,
        hall=hall,
        form=form,
        scheme=scheme,
        scorable={item.code for item in items},
        values=values,
        errors=errors,
        evidence_form=evidence_form,
        evidence=round_evidence.member_evidence(round_, hall, member),
        evidence_mb=f"{round_evidence.max_bytes() / 1048576:g}",
        **round_labels(),
    ), status


def stored_values(
    round_: StationRound, hall: Hall, member: RoundMember
) -> dict[str, tuple[str, str]]:
    """Return the member's points and notes for the station, as the form shows them."""
    return {
        code: (f"{row.points:g}", row.note)
        for code, row in round_scores.member_scores(round_, hall, member).items()
    }


@bp.get("/<slug>/rounds/<int:round_id>/score/<int:hall_id>")
@login_required
def score_station(slug: str, round_id: int, hall_id: int) -> ResponseReturnValue:
    """Show the checklist for one station, with the member's points and notes so far."""
    round_, member = membership_or_404(slug, round_id)
    hall = round_station(round_, member, hall_id)
    if not isinstance(hall, Hall):
        return hall
    return render_form(
        round_, member, hall, ScoreForm(), stored_values(round_, hall, member), {}, 200
    )


def _read_entries() -> tuple[dict[str, Entry], dict[str, tuple[str, str]], dict[str, str]]:
    """Return the posted entries by item code, the values as typed, and items not numbers."""
    entries: dict[str, Entry] = {}
    values: dict[str, tuple[str, str]] = {}
    errors: dict[str, str] = {}
    for name, raw in request.form.items():
        if not name.startswith(POINTS_PREFIX):
            continue
        code = name.removeprefix(POINTS_PREFIX)[:80]
        text = raw.strip()[:20]
        note = request.form.get(NOTE_PREFIX + code, "")
        values[code] = (text, note)
        try:
            points = float(text) if text else None
        except ValueError:
            points = math.nan
        if points is not None and not math.isfinite(points):
            errors[code] = _("请输入数字。")
            continue
        entries[code] = Entry(points, note)
    return entries, values, errors


@bp.post("/<slug>/rounds/<int:round_id>/score/<int:hall_id>")
@login_required
def save_scores(slug: str, round_id: int, hall_id: int) -> ResponseReturnValue:
    """Save the member's points and notes for one station's items."""
    round_, member = membership_or_404(slug, round_id)
    hall = round_station(round_, member, hall_id)
    if not isinstance(hall, Hall):
        return hall
    form = ScoreForm()
    entries, values, errors = _read_entries()
    if not form.validate_on_submit():
        return render_form(round_, member, hall, form, values, {}, 400)
    if errors:
        return render_form(round_, member, hall, form, values, errors, 422)
    try:
        changed = round_scores.save_scores(
            round_, hall, member, entries, actor=current_user, now=clock.now()
        )
    except RoundError as error:
        db.session.rollback()
        if error.item is None:
            return _refused(round_, str(error), error.status)
        return render_form(
            round_, member, hall, form, values, {error.item: str(error)}, error.status
        )
    db.session.commit()
    flash(_("已保存%(station)s的评分（%(n)s 项有变化）。", station=hall.name, n=changed))
    return redirect(url_for("district.score_stations", slug=slug, round_id=round_.id))


@bp.app_template_global()
def round_member_district() -> District | None:
    """Return the district whose rounds the signed-in hall account scores in, if any.

    For the staff area's link to the scoring pages; a hall outside any district costs no query.
    """
    hall: Hall | None = getattr(current_user, "hall", None)
    if current_user.is_district_user or hall is None or hall.district is None:
        return None
    district: District = hall.district
    return district if rounds_service.is_member_in_district(current_user, district.id) else None
