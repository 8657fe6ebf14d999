"""Ballot stuffing: limits shared by every worker and host, and the flags that quarantine.

Nothing here refuses or deletes a rating. A submission over a limit, or one that looks like
stuffing, is stored like any other but quarantined with flags that say why, and a supervisor
releases or excludes it (kiosk.services.rating_review). kiosk.services.ratings.record_rating()
screens every new rating of a channel residents use (phone, kiosk, pad, invitations) with
screen(); the verdict sets the rating's status and flags. A retry of a known key is never
screened, and a tap that only replaces the same phone's earlier rating of a window counts
against that phone's own limit alone (count_replacement), so one phone cannot push a window
or a hall over their limits.

Flags (kiosk.services.rating_review explains each in Chinese):

- ``burst``: more ratings than allowed, by tap time, in a fixed window of time from one
  device (a phone's device cookie: STUFFING_DEVICE_LIMIT per STUFFING_DEVICE_SECONDS; a kiosk
  or pad: its own burst_limit per burst_window_seconds), for one window
  (STUFFING_WINDOW_LIMIT per STUFFING_WINDOW_SECONDS) or in one hall (STUFFING_HALL_LIMIT per
  STUFFING_HALL_SECONDS). The counters live in kiosk.services.limits (database or Redis), so
  every worker and host shares them. The first N of a window of time count; the rest wait.
- ``staff_device``: the browser carries a staff session, or signed in to the staff area in
  the last STAFF_DEVICE_MEMORY_DAYS (to twice as long: two fixed windows are checked).
- ``off_hours``: tapped outside the hall's OPENING_HOURS, local time (STUFFING_FLAG_OFF_HOURS).
- ``exceeds_services``: at a window that used 办结·邀请评价 today, more unverified ratings today
  than invitations minted today plus STUFFING_SERVICES_ALLOWANCE. Two concurrent submits may
  both see the same count, so this one may let one extra rating through; the others may not.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Rating, ServiceInvitation, Window
from kiosk.security_log import security_event
from kiosk.services import limits
from kiosk.services.settings import opening_minutes, setting
from kiosk.services.submission import DeviceLimit, Submission

FLAGS = ("burst", "staff_device", "off_hours", "exceeds_services")


@dataclass(frozen=True)
class Verdict:
    """What screening found: the flags raised, and the status the rating is stored with."""

    flags: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        return "quarantined" if self.flags else "counted"


def phone_limit() -> DeviceLimit:
    """Return the limit for a phone identified by its device cookie."""
    return DeviceLimit(setting("STUFFING_DEVICE_LIMIT"), setting("STUFFING_DEVICE_SECONDS"))


def _device_check(submission: Submission) -> tuple[str, str, int, int]:
    device_limit = submission.device_limit or phone_limit()
    key = f"stuffing:device:{submission.device}"
    return ("device", key, device_limit.limit, device_limit.seconds)


def _limit_checks(submission: Submission) -> list[tuple[str, str, int, int]]:
    """Return (scope, counter key, limit, seconds) of every limit the submission counts against."""
    window = submission.window
    checks = [
        ("window", f"stuffing:window:{window.id}", setting("STUFFING_WINDOW_LIMIT"),
         setting("STUFFING_WINDOW_SECONDS")),
        ("hall", f"stuffing:hall:{window.hall_id}", setting("STUFFING_HALL_LIMIT"),
         setting("STUFFING_HALL_SECONDS")),
    ]  # fmt: skip
    if submission.device is not None:
        checks.insert(0, _device_check(submission))
    return checks


def _exceeded(submission: Submission, checks: list[tuple[str, str, int, int]]) -> list[str]:
    """Count the submission against checks (one round trip); return the scopes it exceeds."""
    hits = [(key, int(seconds), submission.tapped_at) for _, key, _, seconds in checks]
    counts = limits.hit_many(hits)
    return [scope for (scope, _, limit, _), count in zip(checks, counts, strict=True)
            if count > int(limit)]  # fmt: skip


def screen(submission: Submission, now: datetime) -> Verdict:
    """Count a new rating against the limits and return the flags it raises (logged)."""
    window, tapped_at, device = submission.window, submission.tapped_at, submission.device
    exceeded = _exceeded(submission, _limit_checks(submission))
    flags: list[str] = []
    if exceeded:
        flags.append("burst")
    if submission.staff_session or (device is not None and is_staff_device(device, now)):
        flags.append("staff_device")
    hours = opening_minutes(str(setting("OPENING_HOURS", hall=window.hall_id)))
    if setting("STUFFING_FLAG_OFF_HOURS") and not within_hours(hours, tapped_at):
        flags.append("off_hours")
    if not submission.verified and exceeds_services(window, tapped_at):
        flags.append("exceeds_services")
    where: dict[str, Any] = {
        "hall_id": window.hall_id,
        "window_id": window.id,
        "channel": submission.channel,
    }
    if exceeded:
        security_event("rate_limited", warning=True, scopes=exceeded, ratings=1, **where)
    if flags:
        security_event("rating_quarantined", flags=flags, ratings=1, **where)
    return Verdict(tuple(flags))


def count_replacement(submission: Submission) -> None:
    """Count a tap that replaces the device's own earlier rating against its device limit only.

    It adds no rating to the window or the hall, so it counts against neither: re-taps from one
    phone never push another resident's rating at that window or hall into quarantine.
    """
    if submission.device is not None:
        _exceeded(submission, [_device_check(submission)])


def _staff_device_key(device: str) -> str:
    return f"staff-device:{device}"


def _memory_seconds() -> int:
    return int(setting("STAFF_DEVICE_MEMORY_DAYS")) * 24 * 3600


def mark_staff_device(device: str, now: datetime) -> None:
    """Remember that the browser with this device hash signed in to the staff area."""
    limits.hit(_staff_device_key(device), _memory_seconds(), now)


def is_staff_device(device: str, now: datetime) -> bool:
    """Return whether the device signed in to the staff area recently (this or the last window)."""
    return device in staff_devices([device], now)


def staff_devices(devices: list[str], now: datetime) -> set[str]:
    """Return which of the devices signed in to the staff area recently, in one lookup."""
    seconds = _memory_seconds()
    keys = {_staff_device_key(device): device for device in devices}
    hit = limits.current_many(list(keys), seconds, [now, now - timedelta(seconds=seconds)])
    return {keys[key] for key in hit}


def within_hours(hours: tuple[int, int] | None, moment: datetime) -> bool:
    """Return whether moment (naive UTC) falls inside opening hours (opening_minutes), local time.

    Hours that cannot be read (None: a hand-edited configuration) flag nothing.
    """
    if hours is None:
        return True
    local = clock.to_local(moment)
    minute = local.hour * 60 + local.minute
    return hours[0] <= minute < hours[1]


def exceeds_services(window: Window, tapped_at: datetime) -> bool:
    """Return whether one more unverified rating today is more than the window's services allow."""
    start, end = clock.local_day_bounds(tapped_at)
    invited, unverified = services_today([window.id], start, end)[window.id]
    if not invited:
        return False  # the window does not use invitations today: nothing to compare with
    return unverified + 1 > invited + int(setting("STUFFING_SERVICES_ALLOWANCE"))


def services_today(
    window_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, tuple[int, int]]:
    """Return {window id: (invitations minted, unverified ratings stored)} in [start, end)."""
    ids = sorted(set(window_ids))
    counts = {window_id: (0, 0) for window_id in ids}
    invited = dict(
        db.session.execute(
            select(ServiceInvitation.window_id, func.count(ServiceInvitation.id))
            .where(
                ServiceInvitation.window_id.in_(ids),
                ServiceInvitation.created_at >= start,
                ServiceInvitation.created_at < end,
            )
            .group_by(ServiceInvitation.window_id)
        ).all()
    )
    if not invited:
        return counts
    unverified = dict(
        db.session.execute(
            select(Rating.window_id, func.count(Rating.id))
            .where(
                Rating.window_id.in_(sorted(invited)),
                Rating.verified.is_(False),
                Rating.created_at >= start,
                Rating.created_at < end,
            )
            .group_by(Rating.window_id)
        ).all()
    )
    for window_id, count in invited.items():
        counts[window_id] = (int(count), int(unverified.get(window_id, 0)))
    return counts
