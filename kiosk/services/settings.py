"""Operational settings (deadlines, opening hours, board rotation) read in one place.

The configuration (kiosk/config.py Defaults, instance/config.py, KIOSK_* variables) gives each
setting its default; an admin may override some of them (EDITABLE) on the settings page, which
stores the override in the `setting` table. Every override belongs to one hall: an admin
changes only the settings of their own hall, and each change is audited under that hall. There
are no installation-wide overrides; what is not EDITABLE comes from the configuration alone.

setting(name, hall=...) returns the hall's override when there is one, else the configured
value. The hall is required for the EDITABLE settings, so that no caller can read one hall's
opening hours or deadlines for another's work: pass the hall the work concerns (a rating's
window's hall, a complaint's hall, the signed-in admin's hall), or hall=None for work that
concerns no hall (the configured value).

Overrides are read with one query per request (or CLI app context) and kept in flask.g: every
gunicorn worker sees a change from its very next request, with no cross-process cache to go
stale.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Hall, Setting, User
from kiosk.services import audit

_CACHE = "kiosk_setting_overrides"


class SettingError(ValueError):
    """A value an admin entered is not acceptable; nothing was written."""


def _days(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise SettingError(_l("请输入 %(low)s 到 %(high)s 之间的整数", low=low, high=high))
        return value

    return check


_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$")


def opening_minutes(value: str) -> tuple[int, int] | None:
    """Return opening hours "08:30-17:30" as (opens, closes) minutes after local midnight.

    A closing time of 24:00 is midnight (a hall open until the day ends). None when value
    is not of that form or closes no later than it opens.
    """
    match = _HOURS.match(value.strip().replace("–", "-").replace(" ", ""))
    if not match:
        return None
    opens = int(match[1]) * 60 + int(match[2])
    closes = int(match[3] or match[5]) * 60 + int(match[4] or match[6])
    return (opens, closes) if closes > opens else None


def _opening_hours(value: Any) -> str:
    if not isinstance(value, str):
        raise SettingError(_l("格式应为 08:30-17:30"))
    hours = value.strip().replace("–", "-").replace(" ", "")
    if not _HOURS.match(hours):
        raise SettingError(_l("格式应为 08:30-17:30"))
    if opening_minutes(hours) is None:
        raise SettingError(_l("关门时间必须晚于开门时间"))
    return hours


def _holidays(value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        raise SettingError(_l("请输入日期，每行一个，如 2026-10-09"))
    days: set[str] = set()
    for item in value:
        try:
            days.add(date.fromisoformat(str(item).strip()).isoformat())
        except ValueError:
            raise SettingError(_l("“%(item)s”不是日期，格式应为 2026-10-09", item=item)) from None
    if len(days) > 366:
        raise SettingError(_l("最多 366 个日期"))
    return sorted(days)


@dataclass(frozen=True)
class EditableSetting:
    """A setting admins may change on the settings page."""

    name: str
    label: Any  # lazy translated string
    help: Any
    validate: Callable[[Any], Any]


EDITABLE: tuple[EditableSetting, ...] = (
    EditableSetting(
        "OPENING_HOURS",
        _l("开放时间"),
        _l("当地时间，如 08:30-17:30；此时间以外的评价会被标记待审核。"),
        _opening_hours,
    ),
    EditableSetting(
        "COMPLAINT_VERIFY_DAYS", _l("差评核实时限（工作日）"), _l("1–30 个工作日"), _days(1, 30)
    ),
    EditableSetting(
        "COMPLAINT_RECTIFY_DAYS", _l("整改时限（工作日）"), _l("1–60 个工作日"), _days(1, 60)
    ),
    EditableSetting(
        "COMPLAINT_FOLLOWUP_DAYS", _l("回访时限（工作日）"), _l("1–30 个工作日"), _days(1, 30)
    ),
    EditableSetting(
        "COMPLAINT_APPEAL_DAYS",
        _l("申诉期限（工作日）"),
        _l("投诉核实有效后多少个工作日内，被投诉的工作人员可以申诉（1–30）"),
        _days(1, 30),
    ),
    EditableSetting(
        "CONTACT_RETENTION_DAYS",
        _l("回访电话保留天数"),
        _l("投诉办结后多少天删除居民的电话号码（1–365）"),
        _days(1, 365),
    ),
    EditableSetting(
        "BOARD_POLL_SECONDS", _l("展示屏刷新间隔（秒）"), _l("1–600 秒"), _days(1, 600)
    ),
    EditableSetting(
        "BOARD_ROTATE_SECONDS", _l("展示屏轮播间隔（秒）"), _l("5–600 秒"), _days(5, 600)
    ),
    EditableSetting(
        "EXTRA_HOLIDAYS",
        _l("本地额外假日"),
        _l("每行一个日期，如 2026-10-09；这些日子不计入工作日。"),
        _holidays,
    ),
)
EDITABLE_BY_NAME = {item.name: item for item in EDITABLE}


HallRef = Hall | int | None
"""A hall, its id, or None for work that concerns no hall (the configured values)."""


class _Unset(Enum):
    UNSET = 0


def hall_id_of(hall: HallRef) -> int | None:
    """Return the id of a hall given as a Hall or an id (None stays None)."""
    return hall.id if isinstance(hall, Hall) else hall


def _overrides() -> dict[int, dict[str, Any]]:
    """Return {hall id: {name: value}}, read once per request for every hall."""
    cached: dict[int, dict[str, Any]] | None = g.get(_CACHE)
    if cached is None:
        cached = {}
        for row in db.session.scalars(select(Setting)):
            cached.setdefault(row.hall_id, {})[row.key] = row.value
        setattr(g, _CACHE, cached)
    return cached


def forget_cached() -> None:
    """Make the next setting() call read the database again."""
    g.pop(_CACHE, None)


def setting(name: str, *, hall: HallRef | _Unset = _Unset.UNSET) -> Any:
    """Return the current value of an operational setting: the hall's override, else config.

    The EDITABLE settings are per hall and need hall= (a Hall, its id, or None for the
    configured value); reading one without saying which hall is a programming error.
    """
    if name in EDITABLE_BY_NAME:
        if hall is _Unset.UNSET:
            raise TypeError(f"setting({name!r}) is per hall: pass hall=")
        hall_id = hall_id_of(hall)
        if hall_id is not None:
            overrides = _overrides().get(hall_id, {})
            if name in overrides:
                return overrides[name]
    return current_app.config[name]


@dataclass(frozen=True)
class ResidentNotice:
    """What the phone's thank-you page tells a resident about the hall: its hours, and within
    how many working days a complaint is verified, rectified and followed up."""

    opening_hours: str
    verify_days: int
    rectify_days: int
    followup_days: int


def resident_notice(hall: HallRef) -> ResidentNotice:
    """Return the hall's opening hours and complaint deadlines, as the resident is told them."""
    return ResidentNotice(
        setting("OPENING_HOURS", hall=hall),
        int(setting("COMPLAINT_VERIFY_DAYS", hall=hall)),
        int(setting("COMPLAINT_RECTIFY_DAYS", hall=hall)),
        int(setting("COMPLAINT_FOLLOWUP_DAYS", hall=hall)),
    )


def default(name: str) -> Any:
    """Return the configured value of a setting, ignoring any override."""
    return current_app.config[name]


def hall_overrides(hall: Hall) -> dict[str, Setting]:
    """Return the hall's stored overrides by name."""
    rows = db.session.scalars(select(Setting).where(Setting.hall_id == hall.id))
    return {row.key: row for row in rows}


def save_settings(values: dict[str, Any], *, actor: User | None, hall: Hall) -> list[str]:
    """Validate and store the hall's overrides; return the names that changed.

    Only the hall's own rows are touched. A value equal to the configured default removes the
    override, so later changes to the configuration apply again. Every change is audit-logged
    under the hall, with old and new value.
    """
    if not isinstance(hall, Hall):
        raise TypeError("settings are changed for one hall")
    unknown = set(values) - set(EDITABLE_BY_NAME)
    if unknown:
        raise SettingError(f"not editable: {', '.join(sorted(unknown))}")
    checked = {name: EDITABLE_BY_NAME[name].validate(value) for name, value in values.items()}
    rows = hall_overrides(hall)
    now = clock.now()
    changed: list[str] = []
    for name, value in checked.items():
        old = setting(name, hall=hall)
        configured = _jsonable(default(name))
        if _jsonable(old) == value:
            continue
        row = rows.get(name)
        if value == configured:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(
                Setting(
                    hall_id=hall.id,
                    key=name,
                    value=value,
                    updated_at=now,
                    updated_by_id=_id(actor),
                )
            )
        else:
            row.value = value
            row.updated_at = now
            row.updated_by_id = _id(actor)
        audit.record(
            "setting.change",
            actor=actor,
            target_type="setting",
            target_id=None,
            hall_id=hall.id,
            detail={"name": name, "old": _jsonable(old), "new": value},
        )
        changed.append(name)
    db.session.flush()
    forget_cached()
    return changed


def rename_hall(hall: Hall, name: str, *, actor: User | None) -> bool:
    """Give the hall a new display name; return whether it changed (audit-logged)."""
    name = name.strip()
    if not 1 <= len(name) <= 120:
        raise SettingError(_l("大厅名称应为 1 到 120 个字"))
    if name == hall.name:
        return False
    audit.record(
        "hall.rename",
        actor=actor,
        target_type="hall",
        target_id=hall.id,
        hall_id=hall.id,
        detail={"old": hall.name, "new": name},
    )
    hall.name = name
    db.session.flush()
    return True


def update_settings(
    hall: Hall, *, hall_name: str | None, values: dict[str, Any], actor: User | None
) -> list[str]:
    """Apply the settings page: rename the hall and store its overrides; return what changed."""
    changed = save_settings(values, actor=actor, hall=hall)
    if hall_name is not None and rename_hall(hall, hall_name, actor=actor):
        changed.insert(0, "HALL_NAME")
    return changed


def _id(user: User | None) -> int | None:
    return user.id if user is not None else None


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
