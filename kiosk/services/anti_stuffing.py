"""Ballot stuffing: limits shared by every worker and host, and the flags that quarantine.

Nothing here refuses or deletes a rating. A submission over a limit, or one that looks like
stuffing, is stored like any other but quarantined with flags that say why, and a supervisor
releases or excludes it (kiosk.services.rating_review). Every rating write path (phone taps
through kiosk.services.intake, paired kiosks and pads, invitations) hands record_rating() or
record_many() a ScreenRequest; the batch screens each new key with a Screening (a retry is
never counted), and the verdict sets the rating's status and flags.

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

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Rating, ServiceInvitation, Window
from kiosk.security_log import security_event
from kiosk.services import limits
from kiosk.services.settings import opening_minutes, setting

FLAGS = ("burst", "staff_device", "off_hours", "exceeds_services")


@dataclass(frozen=True)
class Verdict:
    """What screening found: the flags raised, and the status the rating is stored with."""

    flags: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        return "quarantined" if self.flags else "counted"


@dataclass(frozen=True)
class DeviceLimit:
    """How many ratings one device may give per window of time before they are a burst."""

    limit: int
    seconds: int


def phone_limit() -> DeviceLimit:
    """Return the limit for a phone identified by its device cookie."""
    return DeviceLimit(setting("STUFFING_DEVICE_LIMIT"), setting("STUFFING_DEVICE_SECONDS"))


@dataclass(frozen=True)
class ScreenRequest:
    """One new submission to screen: where, when, from which device, by which channel."""

    window: Window
    tapped_at: datetime
    device: str | None = None
    device_limit: DeviceLimit | None = None  # None: a phone's limit
    staff_session: bool = False
    verified: bool = False
    channel: str = ""


class Screening:
    """Screens the new submissions of one transaction, one after another, in order.

    count() adds every submission to the shared limit counters in one round trip; verdict()
    then answers each in turn with what screening it alone would have said. What the
    verdicts read (staff devices, the day's invitations and ratings at a window) is looked up
    by count() too, once for the batch; added() tells the screening about each rating stored
    since, so a later submission of the same batch sees it.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._exceeded: dict[int, list[str]] = {}
        self._staff_devices: dict[str, bool] = {}
        self._services: dict[tuple[int, datetime], list[int]] = {}  # [invited, unverified]
        self._events: Counter[tuple] = Counter()
        self._settings = {
            name: setting(name)
            for name in (
                "STUFFING_WINDOW_LIMIT",
                "STUFFING_WINDOW_SECONDS",
                "STUFFING_HALL_LIMIT",
                "STUFFING_HALL_SECONDS",
                "STUFFING_FLAG_OFF_HOURS",
                "STUFFING_SERVICES_ALLOWANCE",
            )
        }

    def count(self, requests: list[ScreenRequest]) -> None:
        """Count every request against the device, window and hall limits (each scope always)."""
        hits, owners = [], []
        phone = phone_limit() if any(r.device_limit is None for r in requests) else None
        for request in requests:
            for scope, key, limit, seconds in self._checks(request, phone):
                hits.append((key, int(seconds), request.tapped_at))
                owners.append((request, scope, int(limit)))
        for (request, scope, limit), count in zip(owners, limits.hit_many(hits), strict=True):
            exceeded = self._exceeded.setdefault(id(request), [])
            if count > limit:
                exceeded.append(scope)
        self._load_services([r for r in requests if not r.verified])
        devices = {r.device for r in requests if r.device is not None} - set(self._staff_devices)
        if devices:
            staff = staff_devices(sorted(devices), self.now)
            self._staff_devices.update({device: device in staff for device in devices})

    def _checks(self, request: ScreenRequest, phone: DeviceLimit | None) -> list[tuple]:
        window, values = request.window, self._settings
        checks = [
            ("window", f"stuffing:window:{window.id}", values["STUFFING_WINDOW_LIMIT"],
             values["STUFFING_WINDOW_SECONDS"]),
            ("hall", f"stuffing:hall:{window.hall_id}", values["STUFFING_HALL_LIMIT"],
             values["STUFFING_HALL_SECONDS"]),
        ]  # fmt: skip
        if request.device is not None:
            device_limit = request.device_limit or phone or phone_limit()
            checks.insert(
                0,
                (
                    "device",
                    f"stuffing:device:{request.device}",
                    device_limit.limit,
                    device_limit.seconds,
                ),
            )
        return checks

    def verdict(self, request: ScreenRequest) -> Verdict:
        """Return the flags request raises; count() must have counted it."""
        window, tapped_at, device = request.window, request.tapped_at, request.device
        flags: list[str] = []
        exceeded = self._exceeded[id(request)]
        if exceeded:
            flags.append("burst")
        if request.staff_session or (device is not None and self._staff_devices[device]):
            flags.append("staff_device")
        hours = opening_minutes(str(setting("OPENING_HOURS", hall=window.hall_id)))
        if self._settings["STUFFING_FLAG_OFF_HOURS"] and not within_hours(hours, tapped_at):
            flags.append("off_hours")
        if not request.verified and self._exceeds_services(window, tapped_at):
            flags.append("exceeds_services")
        where = (window.hall_id, window.id, request.channel)
        if exceeded:
            self._events[("rate_limited", "scopes", tuple(exceeded), *where)] += 1
        if flags:
            self._events[("rating_quarantined", "flags", tuple(flags), *where)] += 1
        return Verdict(tuple(flags))

    def log_events(self) -> None:
        """Log the security events of the verdicts so far: one line per kind, with a count."""
        for (name, field, values, hall_id, window_id, channel), count in self._events.items():
            security_event(
                name,
                warning=name == "rate_limited",
                **{field: list(values)},
                hall_id=hall_id,
                window_id=window_id,
                channel=channel,
                ratings=count,
            )
        self._events.clear()

    def added(self, window_id: int, tapped_at: datetime, verified: bool) -> None:
        """Note a rating stored since the screening began (the day's count at its window)."""
        counts = self._services.get((window_id, clock.local_day_bounds(tapped_at)[0]))
        if counts is not None and not verified:
            counts[1] += 1

    def _load_services(self, requests: list[ScreenRequest]) -> None:
        # The day's invitations and unverified ratings at every window of the batch, per day.
        days: dict[tuple[datetime, datetime], set[int]] = {}
        for request in requests:
            bounds = clock.local_day_bounds(request.tapped_at)
            if (request.window.id, bounds[0]) not in self._services:
                days.setdefault(bounds, set()).add(request.window.id)
        for (start, end), window_ids in days.items():
            for window_id, counts in services_today(window_ids, start, end).items():
                self._services[window_id, start] = list(counts)

    def _exceeds_services(self, window: Window, tapped_at: datetime) -> bool:
        invited, unverified = self._services[window.id, clock.local_day_bounds(tapped_at)[0]]
        if not invited:
            return False  # the window does not use invitations today: nothing to compare with
        allowance = int(self._settings["STUFFING_SERVICES_ALLOWANCE"])
        return unverified + 1 > invited + allowance


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
    screening = Screening(tapped_at)  # the rule of a batch's screening, for one rating
    screening._load_services([ScreenRequest(window, tapped_at=tapped_at)])
    return screening._exceeds_services(window, tapped_at)


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
