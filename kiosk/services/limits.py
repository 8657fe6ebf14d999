"""Fixed-window rate limits stored where every worker and host sees them.

With the REDIS_URL setting, counters live in Redis (INCRBY and EXPIRE in one MULTI/EXEC, keys
under REDIS_KEY_PREFIX), shared by every worker of every host that uses the same Redis. Without
it they live in the database: hit() increments atomically (INSERT … ON CONFLICT DO UPDATE), so
concurrent workers never lose a count, and expired windows are deleted now and then by the
writers themselves. Either way the window is computed from the `now` passed in, so tests with a
fixed clock behave the same on both backends.
"""

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import redis
from flask import current_app
from sqlalchemy import delete, select

from kiosk.database import among, dialect_insert, table_of
from kiosk.extensions import db
from kiosk.models.limits import RateLimitCounter

_CLIENTS = "kiosk_redis"  # app.extensions key: one connection pool per app and process


def _window(now: datetime, seconds: int) -> int:
    epoch = int((now - datetime(1970, 1, 1)).total_seconds())
    return epoch - epoch % seconds


def _upsert_statement() -> Any:  # an INSERT ... ON CONFLICT in the dialect of the moment
    table = table_of(RateLimitCounter)
    return dialect_insert(
        table,
        lambda insert: insert.on_conflict_do_update(
            index_elements=["key", "window_start"],
            set_={"count": table.c.count + insert.excluded["count"]},
        ).returning(table.c.key, table.c.window_start, table.c.count),
    )


def _redis() -> redis.Redis | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    clients = current_app.extensions.setdefault(_CLIENTS, {})
    client: redis.Redis | None = clients.get(url)
    if client is None:
        # redis-py's pool notices a fork and opens fresh connections in each gunicorn worker.
        client = clients[url] = redis.Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
        )
    return client


def _redis_key(key: str, start: int) -> str:
    return f"{current_app.config['REDIS_KEY_PREFIX']}limit:{key}:{start}"


def hit(key: str, window_seconds: int, now: datetime) -> int:
    """Count one hit of key in the current window; return the window's count so far."""
    return hit_many([(key, window_seconds, now)])[0]


def hit_many(hits: Sequence[tuple[str, int, datetime]]) -> list[int]:
    """Count several hits (key, window seconds, moment) at once; return each one's count.

    The counts are what one hit() after another would have returned, in order: hits of the same
    key and window are added in one atomic increment, and the n-th of them gets the count
    before it plus n. One round trip for a whole batch of ratings (Redis: one MULTI/EXEC; the
    database: one multi-row INSERT … ON CONFLICT DO UPDATE … RETURNING).
    """
    slots = [(key, _window(now, seconds), seconds, now) for key, seconds, now in hits]
    deltas: Counter[tuple[str, int]] = Counter((key, start) for key, start, _, _ in slots)
    if not deltas:
        return []
    first: dict[tuple[str, int], tuple[int, datetime]] = {}
    for key, start, seconds, now in slots:
        first.setdefault((key, start), (seconds, now))  # a window expires as its first hit says
    totals = _add(deltas, first)
    seen: Counter[tuple[str, int]] = Counter()
    counts = []
    for key, start, _, _ in slots:
        seen[key, start] += 1
        counts.append(totals[key, start] - deltas[key, start] + seen[key, start])
    return counts


def _add(
    deltas: Counter[tuple[str, int]], first: dict[tuple[str, int], tuple[int, datetime]]
) -> dict[tuple[str, int], int]:
    # Sorted, so that concurrent writers on PostgreSQL lock the counter rows in the same order.
    groups = sorted(deltas)
    client = _redis()
    if client is not None:
        with client.pipeline(transaction=True) as pipe:
            for key, start in groups:
                name = _redis_key(key, start)
                pipe.incrby(name, deltas[key, start])
                # Relative expiry: the window is over after window_seconds of real time at most.
                pipe.expire(name, 2 * first[key, start][0])
            replies = pipe.execute()
        return {group: int(replies[2 * n]) for n, group in enumerate(groups)}
    rows = [
        {
            "key": key,
            "window_start": start,
            "count": deltas[key, start],
            "expires_at": first[key, start][1] + timedelta(seconds=2 * first[key, start][0]),
        }
        for key, start in groups
    ]
    # executemany with RETURNING (SQLAlchemy batches it into multi-row statements): the
    # statement is compiled once, whatever the number of rows.
    result = db.session.execute(_upsert_statement(), rows)
    totals = {(key, start): int(count) for key, start, count in result}
    if any(totals[group] == deltas[group] for group in groups):
        # A new window began: a good moment to drop windows that have ended.
        oldest = min(now for _, now in first.values())
        db.session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at < oldest))
    return totals


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


def current_many(keys: Sequence[str], window_seconds: int, moments: Sequence[datetime]) -> set[str]:
    """Return which keys were hit in the window of any of the moments (one round trip)."""
    starts = sorted({_window(moment, window_seconds) for moment in moments})
    if not keys or not starts:
        return set()
    client = _redis()
    if client is not None:
        names = [(key, _redis_key(key, start)) for key in keys for start in starts]
        values = client.mget([name for _, name in names])
        return {key for (key, _), value in zip(names, values, strict=True) if int(value or 0)}
    return set(
        db.session.scalars(
            select(RateLimitCounter.key).where(
                among(RateLimitCounter.key, sorted(set(keys))),
                RateLimitCounter.window_start.in_(starts),
                RateLimitCounter.count > 0,
            )
        )
    )
