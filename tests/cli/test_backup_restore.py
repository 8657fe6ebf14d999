"""flask backup / restore: consistent copies while ratings are being written, and safe restores."""

import itertools
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from kiosk import create_app
from kiosk.database import intend_write
from kiosk.extensions import db
from kiosk.models import Hall, Rating, Window
from kiosk.models._types import utcnow
from kiosk.services import backup as backups
from tests.helpers import give_rating

BOTH = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
_names = itertools.count(1)


@pytest.fixture
def fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Return a factory of URLs of new, empty databases on the test's backend."""

    def make() -> str:
        n = next(_names)
        if backend == "postgres":
            return request.getfixturevalue("pg_server").create_database(f"restore_{n}")
        return f"sqlite:///{tmp_path / f'fresh{n}.sqlite3'}"

    return make


@pytest.fixture
def instances(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Return a factory of apps (separate instances) on given database URLs."""
    made: list[Flask] = []

    def make(url: str, **config: Any) -> Flask:
        app = create_app(
            {"SECRET_KEY": "k" * 32, "SQLALCHEMY_DATABASE_URI": url, **config},
            instance_path=str(tmp_path / f"instance{len(made)}"),
        )
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def invoke(app: Flask, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    """Run a flask command against app (tests hold another app's context otherwise)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args), input=input)


def _ratings_keys(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Rating.idempotency_key)))


class Writers:
    """Threads that keep recording ratings and remember which ones were committed."""

    def __init__(self, app: Flask, window_id: int, threads: int = 3) -> None:
        self.app = app
        self.window_id = window_id
        self.acknowledged: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)
        ]

    def _run(self, worker: int) -> None:
        try:
            with self.app.app_context():
                intend_write()
                window = db.session.get(Window, self.window_id)
                for n in itertools.count():
                    if self.stop.is_set():
                        return
                    key = f"w{worker}-{n:06d}"
                    give_rating(window, 1 + n % 5, key, channel="qr", now=utcnow())
                    db.session.commit()
                    with self.lock:  # acknowledged only once the commit returned
                        self.acknowledged.append(key)
        except BaseException as error:  # reported by the test, not lost in the thread
            self.errors.append(error)

    def snapshot(self) -> set[str]:
        with self.lock:
            return set(self.acknowledged)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.snapshot()) >= count or self.errors:
                return
            time.sleep(0.01)
        raise AssertionError(f"writers did not reach {count} ratings in {timeout} s")

    def __enter__(self) -> "Writers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


@BOTH
def test_backup_during_rating_writes_restores_every_acknowledged_rating(
    app: Flask, window: Window, fresh_url: Callable[[], str], instances, tmp_path: Path, backend
) -> None:
    with Writers(app, window.id) as writers:
        writers.wait_for(60)
        acknowledged_before = writers.snapshot()
        result = invoke(app, "backup", str(tmp_path / "backups"))
        during = writers.snapshot()
        writers.wait_for(len(during) + 30)  # the site went on taking ratings throughout
    assert not writers.errors, writers.errors
    assert result.exit_code == 0, result.output
    written = Path(result.output.split()[1])
    assert written.parent == tmp_path / "backups" and written.exists()
    assert written.suffix == (".sqlite3" if backend == "sqlite" else ".dump")

    fresh = instances(fresh_url())
    restored = invoke(fresh, "restore", str(written), input="y\n")
    assert restored.exit_code == 0, restored.output

    keys = _ratings_keys(fresh)
    assert acknowledged_before <= keys
    assert keys <= writers.snapshot()  # nothing invented, nothing doubled
    assert len(writers.snapshot()) > len(acknowledged_before)
    if backend == "sqlite":
        assert "integrity check: ok" in restored.output
        path = fresh.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.sqlite_only
def test_a_sqlite_backup_is_one_self_contained_file(app, window, tmp_path) -> None:
    intend_write()
    give_rating(window, 5, "only-one-rating", channel="qr", now=utcnow())
    db.session.commit()
    result = invoke(app, "backup", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "b").iterdir()] == [Path(result.output.split()[1]).name]
    with sqlite3.connect(result.output.split()[1]) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT idempotency_key FROM rating").fetchall() == [
            ("only-one-rating",)
        ]


def test_keep_leaves_the_newest_backups_and_nothing_else_touched(app, hall, tmp_path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup")
    (folder / "kiosk-old.sqlite3").write_text("named differently: not ours")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    for day in (1, 2, 3):
        backups.backup_database(uri, folder, now=datetime(2026, 3, day, 2, 0, tzinfo=UTC))
    result = invoke(app, "backup", str(folder), "--keep", "2")
    assert result.exit_code == 0, result.output
    assert "removed old backup" in result.output
    names = sorted(p.name for p in folder.iterdir())
    newest = Path(result.output.split()[1]).name
    assert names == sorted(
        ["notes.txt", "kiosk-old.sqlite3", "kiosk-20260303-020000.sqlite3", newest]
    )


def test_two_backups_in_the_same_second_get_distinct_names(app, hall, tmp_path) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    moment = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    first = backups.backup_database(uri, tmp_path, now=moment)
    second = backups.backup_database(uri, tmp_path, now=moment)
    assert first != second and first.exists() and second.exists()
    assert backups.list_backups(tmp_path) == [first, second]


def test_restore_refuses_a_database_that_holds_data(app, hall, tmp_path, instances) -> None:
    backup = backups.backup_database(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    other = instances(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    with other.app_context():
        db.create_all()
        db.session.add(Hall(slug="other", name="另一个中心"))
        db.session.commit()

    refused = invoke(other, "restore", str(backup), "--yes")
    assert refused.exit_code != 0
    assert "not empty" in refused.output and "--force" in refused.output
    with other.app_context():
        assert db.session.scalars(select(Hall.slug)).all() == ["other"]

    forced = invoke(other, "restore", str(backup), "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    with other.app_context():
        assert db.session.scalars(select(Hall.slug)).all() == [hall.slug]


def test_restore_asks_first_and_does_nothing_when_declined(app, hall, tmp_path, instances):
    backup = backups.backup_database(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    other = instances(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    declined = invoke(other, "restore", str(backup), input="n\n")
    assert declined.exit_code != 0
    assert "restore into" in declined.output
    with other.app_context():
        assert backups.row_counts(db.engine) == {}


def test_restore_rejects_a_file_that_is_not_a_backup(app, tmp_path) -> None:
    junk = tmp_path / "kiosk-20260101-000000.sqlite3"
    junk.write_text("hello")
    result = invoke(app, "restore", str(junk), "--yes")
    assert result.exit_code != 0
    assert "neither a SQLite backup nor a pg_dump" in result.output


def test_a_postgres_dump_is_refused_by_a_sqlite_instance(app, tmp_path) -> None:
    dump = tmp_path / "kiosk-20260101-000000.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00")
    result = invoke(app, "restore", str(dump), "--yes")
    assert result.exit_code != 0
    assert "restores only into PostgreSQL" in result.output


@pytest.mark.postgres
def test_a_sqlite_backup_moves_into_postgres(pg_server, instances, tmp_path) -> None:
    from kiosk.services.demo import create_demo

    sqlite_app = instances(f"sqlite:///{tmp_path / 'small.sqlite3'}")
    with sqlite_app.app_context():
        upgrade()
        intend_write()
        create_demo(datetime(2026, 3, 2, 8, 0), __import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
        db.session.commit()
        counts = backups.row_counts(db.engine)
    backup = backups.backup_database(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)

    pg_app = instances(pg_server.create_database("moved_from_sqlite"))
    result = invoke(pg_app, "restore", str(backup), "--yes")
    assert result.exit_code == 0, result.output
    with pg_app.app_context():
        assert backups.row_counts(db.engine) == counts
        # Sequences continue after the copied ids: the next rating gets a fresh one.
        intend_write()
        window = db.session.scalar(select(Window).order_by(Window.id))
        receipt = give_rating(window, 5, "after-the-move-1", channel="qr", now=utcnow())
        db.session.commit()
        assert receipt.rating.id == db.session.scalar(select(func.max(Rating.id)))
        assert receipt.rating.id > counts["rating"] - 1
