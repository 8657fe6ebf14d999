"""Fixed-window rate limits stored where every worker and host sees them.

With the REDIS_URL setting, counters live in Redis (INCR and EXPIRE in one MULTI/EXEC, keys
under REDIS_KEY_PREFIX), shared by every worker of every host that uses the same Redis. Without
it they live in the database: hit() increments atomically (INSERT … ON CONFLICT DO UPDATE), so
concurrent workers never lose a count, and expired windows are deleted now and then by the
writers themselves. Either way the window is computed from the `now` passed in, so tests with a
fixed clock behave the same on both backends.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from kiosk.extensions import db
from kiosk.models.limits import RateLimitCounter

if TYPE_CHECKING:
    import redis

_CLIENTS = "kiosk_redis"  # app.extensions key: one connection pool per app and process


def _window(now: datetime, seconds: int) -> int:
    epoch = int((now - datetime(1970, 1, 1)).total_seconds())
    return epoch - epoch % seconds


def _redis() -> "redis.Redis | None":
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    clients = current_app.extensions.setdefault(_CLIENTS, {})
    client = clients.get(url)
    if client is None:
        import redis

        # redis-py's pool notices a fork and opens fresh connections in each gunicorn worker.
        client = clients[url] = redis.Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
        )
    return client


def _redis_key(key: str, start: int) -> str:
    return f"{current_app.config['REDIS_KEY_PREFIX']}limit:{key}:{start}"


def hit(key: str, window_seconds: int, now: datetime) -> int:
    """Count one hit of key in the current window; return the window's count so far."""
    start = _window(now, window_seconds)
    client = _redis()
    if client is not None:
        name = _redis_key(key, start)
        with client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            # Relative expiry: the window is over after window_seconds of real time at most.
            pipe.expire(name, 2 * window_seconds)
            count, _ = pipe.execute()
        return int(count)
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
    start = _window(now, window_seconds)
    client = _redis()
    if client is not None:
        return int(client.get(_redis_key(key, start)) or 0)
    count = db.session.scalar(
        select(RateLimitCounter.count).where(
            RateLimitCounter.key == key,
            RateLimitCounter.window_start == start,
        )
    )
    return int(count or 0)
