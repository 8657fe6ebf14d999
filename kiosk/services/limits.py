"""Fixed-window rate limits stored where every worker and host sees them (the database).

hit() increments atomically (INSERT … ON CONFLICT DO UPDATE), so concurrent workers never lose
a count; expired windows are deleted now and then by the writers themselves.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from kiosk.extensions import db
from kiosk.models.limits import RateLimitCounter


def _window(now: datetime, seconds: int) -> int:
    epoch = int((now - datetime(1970, 1, 1)).total_seconds())
    return epoch - epoch % seconds


def hit(key: str, window_seconds: int, now: datetime) -> int:
    """Count one hit of key in the current window; return the window's count so far."""
    start = _window(now, window_seconds)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(RateLimitCounter).values(
        key=key,
        window_start=start,
        count=1,
        expires_at=now + timedelta(seconds=2 * window_seconds),
    )
    statement = statement.on_conflict_do_update(
        index_elements=["key", "window_start"],
        set_={"count": RateLimitCounter.count + 1},
    ).returning(RateLimitCounter.count)
    count = int(db.session.execute(statement).scalar_one())
    if count == 1:  # a new window: a good moment to drop windows that have ended
        db.session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at < now))
    return count


def current(key: str, window_seconds: int, now: datetime) -> int:
    """Return how often key was hit in the current window."""
    count = db.session.scalar(
        select(RateLimitCounter.count).where(
            RateLimitCounter.key == key,
            RateLimitCounter.window_start == _window(now, window_seconds),
        )
    )
    return int(count or 0)
