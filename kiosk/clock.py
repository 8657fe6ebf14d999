"""The application's notion of now, replaceable in tests through the CLOCK setting."""

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app

from kiosk.models._types import utcnow


def now() -> datetime:
    """Return the current time as naive UTC (app.config["CLOCK"] overrides it in tests)."""
    clock = current_app.config.get("CLOCK") or utcnow
    return clock()


def session_now() -> datetime:
    """Return the time that staff sessions age by: real time (SESSION_CLOCK overrides it in tests).

    Kept apart from now() so tests that move the business clock by days (deadlines, periods)
    do not also expire the signed-in session they are using.
    """
    clock = current_app.config.get("SESSION_CLOCK") or utcnow
    return clock()


def hall_zone() -> ZoneInfo:
    """Return the hall's time zone."""
    return ZoneInfo(current_app.config["HALL_TIMEZONE"])


def to_local(moment: datetime) -> datetime:
    """Convert a naive UTC time to the hall's local time (aware)."""
    return moment.replace(tzinfo=UTC).astimezone(hall_zone())


def local_day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Return the naive UTC start and end of the hall-local day containing moment (UTC)."""
    return _day_bounds(moment, current_app.config["HALL_TIMEZONE"])


@lru_cache(maxsize=256)  # a rating's screening asks several times about its tap's day
def _day_bounds(moment: datetime, zone: str) -> tuple[datetime, datetime]:
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    start_local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    start = start_local.astimezone(UTC).replace(tzinfo=None)
    return start, start + timedelta(days=1)
