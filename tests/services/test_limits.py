"""Rate-limit counters: the same behaviour in the database and in a real Redis server."""

import itertools
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from kiosk import create_app
from kiosk.extensions import db
from kiosk.models.limits import RateLimitCounter
from kiosk.services import limits

NOON = datetime(2026, 5, 12, 4, 0)  # 12:00 in Shanghai, on a 15-minute boundary
_prefixes = itertools.count(1)


@pytest.fixture(params=["database", "redis"])
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """The test app keeps its counters in the database, or in a Redis server of its own."""
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        app_config["REDIS_URL"] = server.url()
        app_config["REDIS_KEY_PREFIX"] = f"test{next(_prefixes)}:"
    return app_config


def test_hits_count_up_and_the_next_window_starts_from_zero(ctx):
    assert limits.current("login:ip:1.2.3.4", 900, NOON) == 0
    counts = [limits.hit("login:ip:1.2.3.4", 900, NOON + timedelta(seconds=s)) for s in range(3)]
    assert counts == [1, 2, 3]
    assert limits.current("login:ip:1.2.3.4", 900, NOON + timedelta(minutes=14)) == 3
    assert limits.current("login:ip:1.2.3.4", 900, NOON + timedelta(minutes=15)) == 0
    assert limits.hit("login:ip:1.2.3.4", 900, NOON + timedelta(minutes=15)) == 1


def test_keys_are_counted_apart(ctx):
    limits.hit("login:user:alice", 60, NOON)
    limits.hit("login:user:alice", 60, NOON)
    limits.hit("login:user:bob", 60, NOON)
    assert limits.current("login:user:alice", 60, NOON) == 2
    assert limits.current("login:user:bob", 60, NOON) == 1
    assert limits.current("login:user:carol", 60, NOON) == 0


def test_with_redis_the_database_holds_no_counters_and_keys_expire(app, ctx):
    limits.hit("login:user:alice", 900, NOON)
    rows = db.session.scalar(select(func.count()).select_from(RateLimitCounter))
    if not app.config.get("REDIS_URL"):
        assert rows == 1
        return
    assert rows == 0
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    (name,) = client.keys(app.config["REDIS_KEY_PREFIX"] + "*")
    assert name.decode().startswith(app.config["REDIS_KEY_PREFIX"] + "limit:login:user:alice:")
    assert 900 < client.ttl(name) <= 1800


redis_only = pytest.mark.parametrize("app_config", ["redis"], indirect=True)


@pytest.mark.sqlite_only
@redis_only
def test_redis_counts_are_shared_by_apps_with_separate_databases(app, app_config, tmp_path):
    other = create_app(
        {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}"},
        instance_path=str(tmp_path / "other-instance"),
    )
    with app.app_context():
        for _ in range(4):
            limits.hit("login:ip:10.0.0.9", 900, NOON)
    with other.app_context():
        assert limits.current("login:ip:10.0.0.9", 900, NOON) == 4
        assert limits.hit("login:ip:10.0.0.9", 900, NOON) == 5
    with app.app_context():
        assert limits.current("login:ip:10.0.0.9", 900, NOON) == 5


@pytest.mark.sqlite_only
@redis_only
def test_concurrent_redis_hits_lose_no_count(app):
    seen: list[int] = []
    lock = threading.Lock()

    def hammer() -> None:
        with app.app_context():
            for _ in range(25):
                count = limits.hit("login:user:target", 900, NOON)
                with lock:
                    seen.append(count)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(seen) == list(range(1, 201))
    with app.app_context():
        assert limits.current("login:user:target", 900, NOON) == 200
