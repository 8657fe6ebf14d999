"""Hall management: staff records and their photos."""

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import StringField
from wtforms.validators import InputRequired, Length, Regexp

from kiosk.auth import roles_required
from kiosk.errors import forget_refused_body, render_error
from kiosk.extensions import db
from kiosk.forms import add_error, filled
from kiosk.models import Staff
from kiosk.services import people as people_service
from kiosk.services.settings import setting
from kiosk.staff import bp


class StaffForm(FlaskForm):
    staff_no = StringField(
        _l("工号"),
        validators=[
            InputRequired(_l("请填写工号")),
            Length(max=20),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("工号只能包含字母、数字、-和_")),
        ],
    )
    name = StringField(_l("姓名"), validators=[InputRequired(_l("请填写姓名")), Length(max=60)])

    def __init__(self, *args: Any, staff_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff_id = staff_id

    def validate_staff_no(self, field: StringField) -> None:
        if people_service.staff_no_taken(field.data or "", except_id=self.staff_id):
            add_error(field, _l("这个工号已被使用。"))


class PhotoForm(FlaskForm):
    photo = FileField(_l("照片（JPG 或 PNG）"), validators=[FileRequired(_l("请选择照片文件"))])


class ActionForm(FlaskForm):
    """CSRF-only form for one-click buttons."""


def _hall_id() -> int:
    hall_id: int | None = current_user.hall_id
    if hall_id is None:
        abort(403)
    return hall_id


def _staff_or_404(staff_id: int) -> Staff:
    staff = people_service.hall_member(current_user.hall_id, staff_id)
    if staff is None:
        abort(404)
    return staff


def _photo_limit_mb() -> str:
    return f"{setting('STAFF_PHOTO_MAX_BYTES') / 1024 / 1024:g}"


@bp.get("/people")
@roles_required("supervisor")
def people() -> ResponseReturnValue:
    """List the hall's staff."""
    return render_template(
        "staff/people/list.html",
        people=people_service.hall_staff(current_user.hall_id),
        action_form=ActionForm(),
    )


@bp.route("/people/new", methods=["GET", "POST"])
@roles_required("supervisor")
def create_person() -> ResponseReturnValue:
    """Add a staff member."""
    hall_id = _hall_id()
    form = StaffForm()
    if form.validate_on_submit():
        staff = people_service.create_staff(
            hall_id,
            staff_no=filled(form.staff_no.data),
            name=filled(form.name.data),
            actor=current_user,
        )
        db.session.commit()
        flash(_("已添加%(name)s。", name=staff.name))
        return redirect(url_for("staff.edit_person", staff_id=staff.id))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/people/form.html", form=form, person=None), status


def _render_edit(
    person: Staff, form: StaffForm, photo_form: PhotoForm, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "staff/people/form.html",
        form=form,
        photo_form=photo_form,
        person=person,
        action_form=ActionForm(formdata=None),
        photo_limit=_photo_limit_mb(),
    ), status


@bp.route("/people/<int:staff_id>/edit", methods=["GET", "POST"])
@roles_required("supervisor")
def edit_person(staff_id: int) -> ResponseReturnValue:
    """Change a staff member's number or name; upload a photo."""
    person = _staff_or_404(staff_id)
    form = StaffForm(obj=person, staff_id=person.id)
    if form.validate_on_submit():
        people_service.update_staff(
            person,
            staff_no=filled(form.staff_no.data),
            name=filled(form.name.data),
            actor=current_user,
        )
        db.session.commit()
        flash(_("已保存%(name)s。", name=person.name))
        return redirect(url_for("staff.people"))
    status = 400 if form.is_submitted() else 200
    return _render_edit(person, form, PhotoForm(formdata=None), status)


@bp.post("/people/<int:staff_id>/photo")
@roles_required("supervisor")
def upload_photo(staff_id: int) -> ResponseReturnValue:
    """Store a staff member's photo: a real JPEG or PNG, scaled to at most 512 px."""
    person = _staff_or_404(staff_id)
    form = PhotoForm()
    status = 400
    if form.validate_on_submit():
        limit = setting("STAFF_PHOTO_MAX_BYTES")
        data = form.photo.data.read(limit + 1)
        if len(data) > limit:
            add_error(form.photo, _l("照片不能超过 %(mb)s MB。", mb=_photo_limit_mb()))
            status = 413
        else:
            try:
                people_service.set_staff_photo(person, data, actor=current_user)
            except people_service.PhotoError:
                add_error(form.photo, _l("无法识别这张图片；请上传 JPG 或 PNG 格式的照片。"))
            else:
                db.session.commit()
                flash(_("已更新%(name)s的照片。", name=person.name))
                return redirect(url_for("staff.edit_person", staff_id=person.id))
    return _render_edit(person, StaffForm(obj=person, formdata=None), form, status)


@bp.errorhandler(RequestEntityTooLarge)
def photo_too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """Explain an upload over the request size limit on the photo form itself.

    Registered on the staff blueprint, so it answers every oversized staff-area request.
    """
    forget_refused_body()
    view_args = request.view_args
    if (
        request.endpoint != "staff.upload_photo"
        or view_args is None
        or not current_user.is_authenticated
    ):
        return render_error(413)
    person = people_service.hall_member(current_user.hall_id, view_args["staff_id"])
    if person is None or not current_user.has_role("supervisor"):
        return render_error(413)
    form = PhotoForm(formdata=None)
    form.photo.errors = [_l("照片不能超过 %(mb)s MB。", mb=_photo_limit_mb())]
    page, _status = _render_edit(person, StaffForm(obj=person, formdata=None), form)
    return page, 413


@bp.get("/people/<int:staff_id>/photo")
@roles_required("supervisor")
def person_photo(staff_id: int) -> ResponseReturnValue:
    """Serve a staff member's photo with its own content type."""
    person = _staff_or_404(staff_id)
    mime = person.photo_mime
    if person.photo is None or mime is None or mime not in people_service.PHOTO_FORMATS.values():
        abort(404)
    response = make_response(person.photo)
    response.mimetype = mime
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/people/<int:staff_id>/deactivate")
@roles_required("supervisor")
def deactivate_person(staff_id: int) -> ResponseReturnValue:
    """Deactivate a staff member: no new ratings are attributed to them."""
    return _set_active(staff_id, False)


@bp.post("/people/<int:staff_id>/reactivate")
@roles_required("supervisor")
def reactivate_person(staff_id: int) -> ResponseReturnValue:
    """Reactivate a staff member."""
    return _set_active(staff_id, True)


def _set_active(staff_id: int, active: bool) -> ResponseReturnValue:
    person = _staff_or_404(staff_id)
    if not ActionForm().validate():
        abort(400)
    people_service.set_staff_active(person, active, actor=current_user)
    db.session.commit()
    flash(
        _("%(name)s已启用。", name=person.name)
        if active
        else _("%(name)s已停用。", name=person.name)
    )
    return redirect(url_for("staff.people"))
