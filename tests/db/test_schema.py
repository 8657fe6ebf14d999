"""The schema: migrations match the models; SQLite runs in WAL with foreign keys."""

import multiprocessing
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from kiosk import create_app
from kiosk.extensions import db
from tests.helpers import give_rating


@pytest.fixture
def empty_app(database_url, tmp_path):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url},
        instance_path=str(tmp_path / "instance"),
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_upgrade_on_an_empty_database_gives_exactly_the_models(empty_app, backend):
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(app):
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_postgres_url_uses_psycopg(pg_server):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": pg_server.url().replace("+psycopg", ""),
        }
    )
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    with app.app_context():
        assert db.engine.dialect.driver == "psycopg"
        assert db.session.execute(text("SELECT 1")).scalar() == 1
        db.engine.dispose()


def _backend_pid(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.remove()  # back to the pool, as at the end of every request
    return pid


def test_a_pooled_connection_the_server_closed_costs_no_request(pg_server, tmp_path):
    # What a PostgreSQL restart (or an administrator ending sessions) does to every worker's
    # pool: the server closes connections the pool still holds. The next request must not fail.
    url = pg_server.create_database(f"closed_{uuid.uuid4().hex[:12]}")
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        upgrade()  # /healthz answers 200 only with the migrations current
        db.session.remove()
    before = _backend_pid(app)
    admin = create_engine(pg_server.url())
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": before}).scalar()
            for _ in range(100):  # the backend is gone once it leaves pg_stat_activity
                gone = not conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": before}
                ).scalar()
                if gone:
                    break
                time.sleep(0.05)
            assert gone
        response = app.test_client().get("/healthz")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["database"] == "ok"
        assert _backend_pid(app) != before  # the pool handed out a fresh connection
    finally:
        admin.dispose()
        with app.app_context():
            db.engine.dispose()


def _writer(url: str, instance: str, worker: int, count: int, out) -> None:  # type: ignore[no-untyped-def]
    from kiosk.models import Window
    from kiosk.models._types import utcnow

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url}, instance_path=instance)
    failures = 0
    with app.test_request_context(method="POST"):
        window = db.session.scalar(db.select(Window))
        for n in range(count):
            try:
                give_rating(window, 5, f"w{worker}-n{n:05d}", channel="qr", now=utcnow())
                db.session.commit()
            except Exception:
                db.session.rollback()
                failures += 1
    out.put(failures)


@pytest.mark.sqlite_only
def test_several_processes_write_without_database_is_locked(app, window, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(url, str(tmp_path / "i"), w, 60, out)) for w in range(4)
    ]
    for proc in procs:
        proc.start()
    failures = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert failures == [0, 0, 0, 0]
    path = Path(url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM rating").fetchone()[0] == 240


def test_foreign_keys_are_enforced(app, backend):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(
                text(
                    "INSERT INTO service_window (hall_id, number, name, services, qr_token,"
                    " active, created_at) VALUES (999, 1, 'x', '', 'tok', true, CURRENT_TIMESTAMP)"
                )
            )
            db.session.flush()
        db.session.rollback()
