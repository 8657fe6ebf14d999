"""Admin pages for the hall's rating devices: create, pair, revoke, PIN and intervals."""

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from kiosk import clock
from kiosk.auth import roles_required
from kiosk.extensions import db
from kiosk.forms import SmallIntegerField, add_error, as_choices, filled
from kiosk.models import Device, Window
from kiosk.services import audit, devices
from kiosk.services import windows as windows_service
from kiosk.staff import bp

KIND_LABELS = {"kiosk": _l("大厅评价终端"), "pad": _l("窗口评价器")}


def _window_choices() -> list[tuple[int, str]]:
    windows = windows_service.hall_windows(current_user.hall_id, active_only=True)
    return [(0, _l("（无，仅大厅终端）"))] + [
        (window.id, f"{window.number} · {window.name}") for window in windows
    ]


class CreateDeviceForm(FlaskForm):
    kind = SelectField(_l("类型"), choices=as_choices(KIND_LABELS.items()))
    name = StringField(_l("名称"), validators=[InputRequired(), Length(max=60)])
    window = SelectField(_l("所属窗口（窗口评价器必选）"), coerce=int)


def _bounded(label: str, field: str) -> SmallIntegerField:
    low, high = devices.SETTING_BOUNDS[field]
    return SmallIntegerField(label, validators=[InputRequired(), NumberRange(low, high)])


class DeviceSettingsForm(FlaskForm):
    name = StringField(_l("名称"), validators=[InputRequired(), Length(max=60)])
    window = SelectField(_l("所属窗口（仅窗口评价器）"), coerce=int)
    thanks_reset_seconds = _bounded(_l("感谢页停留秒数"), "thanks_reset_seconds")
    idle_reset_seconds = _bounded(_l("无操作自动返回秒数"), "idle_reset_seconds")
    cooldown_seconds = _bounded(_l("每次评价后冷却秒数"), "cooldown_seconds")
    burst_limit = _bounded(_l("连续评价上限（次）"), "burst_limit")
    burst_window_seconds = _bounded(_l("连续评价统计时长（秒）"), "burst_window_seconds")
    pin = PasswordField(
        _l("新的工作人员退出密码（4–8位数字，留空不修改）"),
        validators=[Optional(), Regexp(devices.PIN_PATTERN, message=_l("请输入4–8位数字"))],
    )


class DeviceActionForm(FlaskForm):
    """CSRF-only form for the new-code and revoke buttons."""


def _device_or_404(device_id: int) -> Device:
    device = db.session.get(Device, device_id)
    if device is None or device.hall_id != current_user.hall_id:
        abort(404)
    return device


def _render_index(form: CreateDeviceForm, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "staff/devices/index.html",
        devices=devices.hall_devices(current_user.hall_id),
        form=form,
        kinds=KIND_LABELS,
        now=clock.now(),
    )
    return page, status


def _render_code(device: Device, code: str) -> str:
    # The code is shown in the answer to the POST itself, never stored or put in a URL or
    # flash cookie; leaving the page is the only way to lose it (then issue a new one).
    return render_template("staff/devices/code.html", device=device, code=code, kinds=KIND_LABELS)


@bp.get("/devices")
@roles_required("admin")
def device_list() -> ResponseReturnValue:
    """List the hall's kiosks and pads, with a form to add one."""
    form = CreateDeviceForm(formdata=None)
    form.window.choices = _window_choices()
    return _render_index(form)


@bp.post("/devices")
@roles_required("admin")
def create_device() -> ResponseReturnValue:
    """Create a kiosk or pad and show its one-time pairing code."""
    if current_user.hall is None:
        abort(403)
    form = CreateDeviceForm()
    form.window.choices = _window_choices()
    if not form.validate():
        return _render_index(form, 400)
    window = db.session.get(Window, form.window.data) if form.window.data else None
    if form.kind.data == "pad" and window is None:
        add_error(form.window, _l("窗口评价器必须选择所属窗口"))
        return _render_index(form, 400)
    device, code = devices.create_device(
        current_user.hall, form.kind.data, filled(form.name.data), window, now=clock.now()
    )
    audit.record(
        "device.create",
        actor=current_user,
        target_type="device",
        target_id=device.id,
        hall_id=device.hall_id,
        detail={"kind": device.kind, "window_id": device.window_id},
    )
    db.session.commit()
    return _render_code(device, code)


@bp.get("/devices/<int:device_id>")
@roles_required("admin")
def device_detail(device_id: int) -> ResponseReturnValue:
    """Show a device's settings."""
    device = _device_or_404(device_id)
    form = DeviceSettingsForm(formdata=None, obj=device)
    form.window.choices = _window_choices()
    form.window.data = device.window_id or 0
    return _render_detail(device, form)


def _render_detail(device: Device, form: DeviceSettingsForm, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "staff/devices/show.html",
        device=device,
        form=form,
        action_form=DeviceActionForm(),
        kinds=KIND_LABELS,
        now=clock.now(),
    )
    return page, status


@bp.post("/devices/<int:device_id>")
@roles_required("admin")
def update_device(device_id: int) -> ResponseReturnValue:
    """Save a device's name, window, intervals and (optionally) a new exit PIN."""
    device = _device_or_404(device_id)
    form = DeviceSettingsForm()
    form.window.choices = _window_choices()
    if not form.validate():
        return _render_detail(device, form, 400)
    values = {field: getattr(form, field).data for field in devices.SETTING_BOUNDS}
    values["name"] = form.name.data
    values["window"] = db.session.get(Window, form.window.data) if form.window.data else None
    changes = devices.update_settings(device, values)
    if form.pin.data:
        devices.set_exit_pin(device, form.pin.data)
        changes["exit_pin"] = ("***", "***")
    if changes:
        audit.record(
            "device.update",
            actor=current_user,
            target_type="device",
            target_id=device.id,
            hall_id=device.hall_id,
            detail={field: list(pair) for field, pair in changes.items()},
        )
    db.session.commit()
    flash(_l("设备设置已保存。"))
    return redirect(url_for("staff.device_detail", device_id=device.id), code=303)


@bp.post("/devices/<int:device_id>/code")
@roles_required("admin")
def new_device_code(device_id: int) -> ResponseReturnValue:
    """Issue a new one-time pairing code (to pair a replaced or reset tablet)."""
    device = _device_or_404(device_id)
    if not DeviceActionForm().validate():
        abort(400)
    code = devices.new_pairing_code(device, now=clock.now())
    audit.record(
        "device.code",
        actor=current_user,
        target_type="device",
        target_id=device.id,
        hall_id=device.hall_id,
    )
    db.session.commit()
    return _render_code(device, code)


@bp.post("/devices/<int:device_id>/revoke")
@roles_required("admin")
def revoke_device(device_id: int) -> ResponseReturnValue:
    """Revoke a device: its browser can no longer submit ratings."""
    device = _device_or_404(device_id)
    if not DeviceActionForm().validate():
        abort(400)
    devices.revoke_device(device, now=clock.now())
    audit.record(
        "device.revoke",
        actor=current_user,
        target_type="device",
        target_id=device.id,
        hall_id=device.hall_id,
    )
    db.session.commit()
    flash(_l("设备已撤销，需重新配对后才能使用。"))
    return redirect(url_for("staff.device_detail", device_id=device.id), code=303)
