"""District set-up: attaching an existing hall as a station, or creating a new one in it."""

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError

from kiosk.auth import district_required
from kiosk.district import bp
from kiosk.extensions import db
from kiosk.forms import SelectChoice, add_error, filled
from kiosk.models import District
from kiosk.services import districts as districts_service
from kiosk.services.districts import DistrictError


class AttachForm(FlaskForm):
    """Pick a hall that belongs to no district yet."""

    hall_id = SelectField(
        _l("已有的服务大厅"), coerce=int, validators=[InputRequired(_l("请选择服务大厅"))]
    )

    def fill_choices(self) -> None:
        self.hall_id.choices = [
            SelectChoice(hall.id, f"{hall.name}（{hall.slug}）")
            for hall in districts_service.unattached_halls()
        ]


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class StationForm(FlaskForm):
    """A new station: its slug (as in /board/<slug>) and its name."""

    slug = StringField(
        _l("标识（网址中使用）"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写标识")),
            Regexp(
                districts_service.SLUG_PATTERN.pattern + r"\Z",
                message=_l("标识为2至40个小写字母、数字或 -"),
            ),
        ],
    )
    name = StringField(
        _l("站点名称"),
        filters=[_strip],
        validators=[DataRequired(_l("请填写名称")), Length(max=districts_service.NAME_MAX)],
    )

    def validate_slug(self, field: Field) -> None:
        if districts_service.hall_slug_taken(field.data or ""):
            raise ValidationError(_l("这个标识已被使用。"))


def _district() -> District:
    district: District | None = current_user.district
    if district is None:  # district_required lets no such account in
        abort(403)
    return district


def _render(
    district: District, attach: AttachForm, station: StationForm, status: int
) -> ResponseReturnValue:
    return render_template(
        "district/stations/new.html", district=district, attach_form=attach, station_form=station
    ), status


@bp.get("/<slug>/stations/new")
@district_required("district_admin")
def new_station(slug: str) -> ResponseReturnValue:
    """Show the forms that attach an existing hall or create a new station."""
    attach = AttachForm()
    attach.fill_choices()
    return _render(_district(), attach, StationForm(), 200)


@bp.post("/<slug>/stations/attach")
@district_required("district_admin")
def attach_station(slug: str) -> ResponseReturnValue:
    """Make an existing hall, attached to no district, one of this district's stations."""
    district = _district()
    form = AttachForm()
    form.fill_choices()
    if form.validate_on_submit():
        hall = districts_service.unattached_hall(form.hall_id.data)
        try:
            if hall is None:  # attached by someone else since the page was shown
                raise DistrictError("the hall belongs to a district already")
            districts_service.attach_hall(district, hall, actor=current_user)
        except DistrictError:
            add_error(form.hall_id, _l("这个服务大厅已属于某个街道，请刷新后重选。"))
        else:
            db.session.commit()
            flash(_("已将%(name)s纳入本街道。", name=hall.name))
            return redirect(url_for("district.index", slug=district.slug))
    return _render(district, form, StationForm(formdata=None), 400)


@bp.post("/<slug>/stations/create")
@district_required("district_admin")
def create_station(slug: str) -> ResponseReturnValue:
    """Create a new station (a hall) in this district."""
    district = _district()
    form = StationForm()
    if form.validate_on_submit():
        try:
            hall = districts_service.create_station(
                district,
                slug=filled(form.slug.data),
                name=filled(form.name.data),
                actor=current_user,
            )
        except DistrictError:  # a race with another admin for the same slug
            add_error(form.slug, _l("无法创建这个站点，请换一个标识。"))
        else:
            db.session.commit()
            flash(_("已创建站点 %(name)s。", name=hall.name))
            return redirect(url_for("district.index", slug=district.slug))
    attach = AttachForm(formdata=None)
    attach.fill_choices()
    return _render(district, attach, form, 400)
