"""The admins' settings page: hall name, opening hours, deadlines, retention, board timings.

Every value on it is the signed-in admin's hall's own: an admin changes the settings of their
hall only (kiosk.services.settings), and an account without a hall has none to change.
"""

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from kiosk import clock
from kiosk.auth import roles_required
from kiosk.extensions import db
from kiosk.forms import SmallIntegerField
from kiosk.models import Hall, Setting
from kiosk.services import settings as settings_service
from kiosk.services.settings import EDITABLE, EDITABLE_BY_NAME, SettingError
from kiosk.staff import bp


def _field_for(name: str) -> Any:
    item = EDITABLE_BY_NAME[name]
    if name == "OPENING_HOURS":
        return StringField(item.label, validators=[InputRequired(), Length(max=20)])
    if name == "EXTRA_HOLIDAYS":
        return TextAreaField(item.label, validators=[Optional(), Length(max=5000)])
    return SmallIntegerField(item.label, validators=[InputRequired()])


class SettingsForm(FlaskForm):
    hall_name = StringField(_l("大厅名称"), validators=[Optional(), Length(max=120)])

    def validate(self, extra_validators: Any = None) -> bool:
        """Run the field checks, then the service's own rules for each setting."""
        ok = super().validate(extra_validators)
        for name in EDITABLE_BY_NAME:
            field = self[name]
            if field.errors:
                continue
            try:
                EDITABLE_BY_NAME[name].validate(_form_value(name, field.data))
            except SettingError as error:
                field.errors = [*field.errors, str(error)]
                ok = False
        return ok


for _item in EDITABLE:
    setattr(SettingsForm, _item.name, _field_for(_item.name))


def _form_value(name: str, data: Any) -> Any:
    if name == "EXTRA_HOLIDAYS":
        lines = (data or "").replace(",", "\n").splitlines()
        return [line.strip() for line in lines if line.strip()]
    return data


def _display(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value)
    return str(value)


def _local(row: Setting | None) -> str:
    return clock.to_local(row.updated_at).strftime("%Y-%m-%d %H:%M") if row else ""


def _hall() -> Hall:
    hall = db.session.get(Hall, current_user.hall_id) if current_user.hall_id else None
    if hall is None:
        abort(403)  # an account without a hall has no settings to change
    return hall


@bp.route("/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings() -> ResponseReturnValue:
    """Show and change the hall's operational settings, each beside its default."""
    hall = _hall()
    form = SettingsForm()
    if form.validate_on_submit():
        values = {item.name: _form_value(item.name, form[item.name].data) for item in EDITABLE}
        hall_name = form.hall_name.data
        if not (hall_name or "").strip():
            form.hall_name.errors = [*form.hall_name.errors, _l("请填写大厅名称")]
        else:
            try:
                changed = settings_service.update_settings(
                    hall, hall_name=hall_name, values=values, actor=current_user
                )
            except SettingError:
                abort(400)  # the form checked the same rules; only a race gets here
            db.session.commit()
            if changed:
                flash(_l("已保存 %(count)s 项设置。", count=len(changed)))
            else:
                flash(_l("没有改动。"))
            return redirect(url_for("staff.settings"))
    elif not form.is_submitted():
        form.hall_name.data = hall.name
        for item in EDITABLE:
            value = settings_service.setting(item.name, hall=hall)
            form[item.name].data = _display(value) if item.name == "EXTRA_HOLIDAYS" else value
    overridden = settings_service.hall_overrides(hall)
    rows = [
        {
            "field": form[item.name],
            "help": item.help,
            "default": _display(settings_service.default(item.name)),
            "override": overridden.get(item.name),
            "changed_at": _local(overridden.get(item.name)),
        }
        for item in EDITABLE
    ]
    status = 400 if form.is_submitted() else 200
    return render_template("staff/settings/edit.html", form=form, rows=rows, hall=hall), status
