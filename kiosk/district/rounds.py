"""A district's assessment rounds: the admin opens one and names its group; the live result
and, per station, the records behind the items filled from the product's own data."""

from collections.abc import Mapping, Sequence
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, Field, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from kiosk import clock
from kiosk.auth import district_required
from kiosk.district import bp
from kiosk.extensions import db
from kiosk.forms import DayInRange, SelectChoice, add_error, filled
from kiosk.labels import (
    LEVEL_LABELS,
    MEMBER_ROLE_LABELS,
    ROUND_KIND_LABELS,
    ROUND_SCHEME_LABELS,
    ROUND_STATUS_LABELS,
    SEVERITY_LABELS,
)
from kiosk.models import ROUND_KINDS, District, StationRound, User
from kiosk.services import districts as districts_service
from kiosk.services import round_data, round_evidence, round_results, round_scores
from kiosk.services import station_rounds as rounds_service
from kiosk.services.evaluation import OPEN_MATTER_LABELS
from kiosk.services.station_rounds import PERIOD_KINDS, TITLE_MAX, RoundError
from scoring.station_scheme import METRIC_LABELS, SHIPPED


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class RoundForm(FlaskForm):
    """A new round: its name, kind, period or day, scheme and stations."""

    title = StringField(
        _l("考核轮次名称"),
        filters=[_strip],
        validators=[DataRequired(_l("请填写名称")), Length(max=TITLE_MAX)],
    )
    kind = SelectField(
        _l("考核类型"),
        choices=[SelectChoice(kind, ROUND_KIND_LABELS[kind]) for kind in ROUND_KINDS],
        validators=[InputRequired(_l("请选择考核类型"))],
    )
    period = StringField(
        _l("考核期间（月度 2026-11，季度 2026Q4，年度 2026）"),
        filters=[_strip],
        validators=[Optional(), Length(max=10)],
    )
    spot_check_on = DateField(_l("抽查日期（不定期抽查）"), validators=[Optional(), DayInRange()])
    scheme = SelectField(
        _l("考核方案"),
        choices=[SelectChoice(key, ROUND_SCHEME_LABELS[key]) for key in SHIPPED],
        validators=[InputRequired(_l("请选择考核方案"))],
    )
    # Checked against the district's stations by validate_stations, in words of our own.
    stations = MultiCheckboxField(_l("参加考核的站点"), coerce=int, validate_choice=False)

    station_ids: frozenset[int] = frozenset()  # set by fill_choices

    def fill_choices(self, district: District) -> None:
        halls = [row.hall for row in districts_service.stations(district.id)]
        self.stations.choices = [SelectChoice(hall.id, hall.name) for hall in halls]
        self.station_ids = frozenset(hall.id for hall in halls)

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """Check the fields, then what one field asks of another (period or day by kind)."""
        valid = super().validate(extra_validators)
        if self.kind.data in PERIOD_KINDS and not self.period.data and not self.period.errors:
            add_error(self.period, _("请填写考核期间"))
            valid = False
        if self.kind.data == "spot_check" and self.spot_check_on.data is None:
            if not self.spot_check_on.errors:
                add_error(self.spot_check_on, _("请填写抽查日期"))
            valid = False
        return valid

    def validate_stations(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("请至少选择一个站点"))
        if not set(field.data) <= self.station_ids:
            raise ValidationError(_l("只能考核本街道的站点。"))


class MemberForm(FlaskForm):
    """Add one account to the round's group."""

    user_id = SelectField(_l("考核组成员"), coerce=int, validators=[InputRequired(_l("请选择"))])

    def fill_choices(self, round_: StationRound) -> None:
        self.user_id.choices = [
            SelectChoice(
                c.user.id,
                f"{c.user.username}（{MEMBER_ROLE_LABELS[c.role]}"
                + (f"·{c.home_hall.name}" if c.home_hall else "")
                + "）",
            )
            for c in rounds_service.candidates(round_)
        ]


def _district() -> District:
    district: District | None = current_user.district
    if district is None:  # district_required lets no such account in
        abort(403)
    return district


def _round(round_id: int) -> StationRound:
    round_ = rounds_service.round_in_district(_district().id, round_id)
    if round_ is None:
        abort(404)
    return round_


def round_labels() -> dict[str, Any]:
    """Return the labels every round page shows."""
    return {
        "kind_labels": ROUND_KIND_LABELS,
        "status_labels": ROUND_STATUS_LABELS,
        "scheme_labels": ROUND_SCHEME_LABELS,
        "member_role_labels": MEMBER_ROLE_LABELS,
    }


@bp.get("/<slug>/rounds")
@district_required("district_admin", "district_assessor")
def rounds(slug: str) -> ResponseReturnValue:
    """List the district's assessment rounds, newest first."""
    district = _district()
    return render_template(
        "district/rounds/list.html",
        district=district,
        rounds=rounds_service.district_rounds(district.id),
        can_manage=current_user.role == "district_admin",
        **round_labels(),
    )


def _render_new(district: District, form: RoundForm, status: int) -> ResponseReturnValue:
    return render_template("district/rounds/new.html", district=district, form=form), status


@bp.get("/<slug>/rounds/new")
@district_required("district_admin")
def new_round(slug: str) -> ResponseReturnValue:
    """Show the form that opens a round."""
    district = _district()
    form = RoundForm()
    form.fill_choices(district)
    return _render_new(district, form, 200)


@bp.post("/<slug>/rounds/create")
@district_required("district_admin")
def create_round(slug: str) -> ResponseReturnValue:
    """Open a round of some of the district's stations."""
    district = _district()
    form = RoundForm()
    form.fill_choices(district)
    if form.validate_on_submit():
        try:
            round_ = rounds_service.open_round(
                district,
                title=filled(form.title.data),
                kind=filled(form.kind.data),
                period=form.period.data,
                spot_check_on=form.spot_check_on.data,
                scheme=filled(form.scheme.data),
                hall_ids=list(form.stations.data or []),
                actor=current_user,
            )
        except RoundError as error:
            add_error(getattr(form, error.item or "title", form.title), str(error))
        else:
            db.session.commit()
            flash(_("已开启考核轮次“%(title)s”。", title=round_.title))
            return redirect(url_for("district.round_members", slug=slug, round_id=round_.id))
    return _render_new(district, form, 400)


@bp.get("/<slug>/rounds/<int:round_id>")
@district_required("district_admin", "district_assessor")
def round_detail(slug: str, round_id: int) -> ResponseReturnValue:
    """Show a round: its stations ranked by the scores given so far (once finalised, as they
    were frozen), every point explained."""
    return _detail_page(_round(round_id), FinaliseForm(formdata=None))


class FinaliseForm(FlaskForm):
    """定稿: nothing but the CSRF token."""


def _detail_page(
    round_: StationRound, form: FinaliseForm, status: int = 200
) -> ResponseReturnValue:
    halls = rounds_service.round_halls(round_)
    report = round_results.round_report(round_)
    return render_template(
        "district/rounds/detail.html",
        district=round_.district,
        round=round_,
        result=report.result,
        snapshot=report.snapshot,
        finalise_form=form,
        evidence={hall.slug: round_evidence.station_evidence(round_, hall) for hall in halls},
        station_ids={hall.slug: hall.id for hall in halls},
        can_manage=current_user.role == "district_admin",
        member=rounds_service.membership(round_, current_user),
        **round_labels(),
    ), status


@bp.post("/<slug>/rounds/<int:round_id>/finalise")
@district_required("district_admin")
def finalise_round(slug: str, round_id: int) -> ResponseReturnValue:
    """Freeze the round's results and close it to scoring (the district admin, once)."""
    round_ = _round(round_id)
    form = FinaliseForm()
    if not form.validate():
        abort(400)  # the form has nothing but its CSRF token
    try:
        round_results.finalise_round(round_, actor=current_user, now=clock.now())
    except RoundError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _detail_page(round_, form, error.status)
    db.session.commit()
    flash(_("“%(title)s”已定稿，结果不再变动。", title=round_.title))
    return redirect(url_for("district.round_detail", slug=slug, round_id=round_.id))


@bp.get("/<slug>/rounds/<int:round_id>/data/<int:hall_id>")
@district_required("district_admin", "district_assessor")
def round_station_data(slug: str, round_id: int, hall_id: int) -> ResponseReturnValue:
    """Show the records behind a station's items filled from the product's own data."""
    round_ = _round(round_id)
    hall = next((h for h in rounds_service.round_halls(round_) if h.id == hall_id), None)
    if hall is None:
        abort(404)
    scheme = round_scores.scheme_of(round_)
    return render_template(
        "district/rounds/data.html",
        district=round_.district,
        round=round_,
        hall=hall,
        records=round_data.station_records(round_, hall, clock.now()),
        auto_items=round_data.auto_items(scheme),
        complaint_points=round_data.complaint_points(scheme),
        metric_labels=METRIC_LABELS,
        level_labels=LEVEL_LABELS,
        severity_labels=SEVERITY_LABELS,
        pending_labels=OPEN_MATTER_LABELS,
        **round_labels(),
    )


def _render_members(round_: StationRound, form: MemberForm, status: int) -> ResponseReturnValue:
    return render_template(
        "district/rounds/members.html",
        district=round_.district,
        round=round_,
        form=form,
        **round_labels(),
    ), status


@bp.get("/<slug>/rounds/<int:round_id>/members")
@district_required("district_admin")
def round_members(slug: str, round_id: int) -> ResponseReturnValue:
    """Show the round's assessment group and the form that adds a member."""
    round_ = _round(round_id)
    form = MemberForm()
    form.fill_choices(round_)
    return _render_members(round_, form, 200)


@bp.post("/<slug>/rounds/<int:round_id>/members/add")
@district_required("district_admin")
def add_round_member(slug: str, round_id: int) -> ResponseReturnValue:
    """Add a district assessor, a station's staff account or a resident representative."""
    round_ = _round(round_id)
    form = MemberForm()
    form.fill_choices(round_)
    if form.validate_on_submit():
        user = db.session.get(User, filled(form.user_id.data))
        try:
            if user is None:
                raise RoundError(_("这个账户不能加入本街道的考核组。"))
            rounds_service.add_member(round_, user, actor=current_user)
        except RoundError as error:
            add_error(form.user_id, str(error))
        else:
            db.session.commit()
            flash(_("已将 %(name)s 加入考核组。", name=user.username))
            return redirect(url_for("district.round_members", slug=slug, round_id=round_.id))
    return _render_members(round_, form, 400)
