"""Upgrading: an instance at the first migration, full of demo data (audit entries naming
users, which SQLite's table rebuilds must not trip over), migrates to the newest revision
without losing a row."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, create_engine, func, inspect, select

from kiosk import create_app
from kiosk.database import intend_write
from kiosk.extensions import db
from kiosk.services.demo import create_demo_hall
from kiosk.services.health import migration_status

FIRST_REVISION = "0001"


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database holding the demo hall, built once for the module.

    The hall alone, without the demo district: an instance at 0001 knew no districts (nor
    their accounts' roles, longer than its role column).
    """
    folder = tmp_path_factory.mktemp("demo-source")
    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url}, instance_path=str(folder / "i")
    )
    with app.app_context():
        db.create_all()
        intend_write()
        create_demo_hall(datetime(2026, 3, 2, 8, 0), ZoneInfo("Asia/Shanghai"))
        db.session.commit()
        db.engine.dispose()
    return url


def _copy_into_first_revision(source_url: str, target: Any) -> None:
    """Copy the demo rows into a database at 0001, column by column as 0001 knows them.

    The demo is written by today's models; later migrations may add tables and columns that
    0001 lacks, so only what exists at 0001 is copied, just as an old instance would hold it.
    """
    source = create_engine(source_url)
    old = MetaData()
    with target.connect() as conn:
        old.reflect(bind=conn)
    try:
        with source.connect() as src, target.begin() as dst:
            for table in old.sorted_tables:
                if table.name == "alembic_version":
                    continue
                model_table = db.metadata.tables[table.name]
                columns = [model_table.c[c.name] for c in table.columns]
                rows = [dict(r) for r in src.execute(select(*columns)).mappings()]
                if rows:
                    dst.execute(table.insert(), rows)
    finally:
        source.dispose()


def _counts(engine: Any) -> dict[str, int]:
    metadata = MetaData()
    with engine.connect() as conn:
        metadata.reflect(bind=conn)
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
            if name != "alembic_version"
        }


def test_demo_instance_at_first_migration_upgrades_to_head_keeping_every_row(
    demo_source: str, database_url: str, tmp_path: Path, backend: str
) -> None:
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        upgrade(revision=FIRST_REVISION)
        assert migration_status().state == "behind"
        db.session.remove()  # end the read transaction, as the end of a request would
        _copy_into_first_revision(demo_source, db.engine)
        before = _counts(db.engine)
        assert before["rating"] > 1000 and before["complaint"] > 10  # the demo is really there

        upgrade()

        after = _counts(db.engine)
        assert migration_status().state == "current"
        assert {name: after[name] for name in before} == before
        assert set(inspect(db.engine).get_table_names()) >= set(db.metadata.tables)
        if backend == "sqlite":  # the migration switched them off; every pooled connection has them
            db.session.remove()  # give back the session's connection too
            pooled = [db.engine.connect() for _ in range(db.engine.pool.checkedin() + 1)]
            try:
                assert [c.exec_driver_sql("PRAGMA foreign_keys").scalar() for c in pooled] == [
                    1
                ] * len(pooled)
            finally:
                for conn in pooled:
                    conn.close()
        db.engine.dispose()


BEFORE_HALL_SETTINGS = "q1_intake"
HALL_SETTINGS = "t1_hall_settings"


@pytest.mark.parametrize("hall_count", [1, 2])
def test_stored_settings_are_kept_for_every_hall_on_upgrade(
    database_url: str, tmp_path: Path, backend: str, hall_count: int
) -> None:
    """Settings stored before they belonged to a hall apply to each hall after the upgrade."""
    from kiosk.services.settings import setting

    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url},
        instance_path=str(tmp_path / "instance"),
    )
    changed = datetime(2026, 11, 1, 8, 0)
    with app.app_context():
        upgrade(revision=BEFORE_HALL_SETTINGS)
        old = MetaData()
        with db.engine.connect() as conn:
            old.reflect(bind=conn)
        with db.engine.begin() as conn:
            conn.execute(
                old.tables["hall"].insert(),
                [
                    {"slug": f"hall{n}", "name": f"中心{n}", "created_at": changed}
                    for n in range(1, hall_count + 1)
                ],
            )
            conn.execute(
                old.tables["setting"].insert(),
                [
                    {"key": "OPENING_HOURS", "value": "09:00-18:00", "updated_at": changed},
                    {"key": "EXTRA_HOLIDAYS", "value": ["2026-10-09"], "updated_at": changed},
                ],
            )
            hall_ids = list(conn.execute(select(old.tables["hall"].c.id)).scalars())

        upgrade(revision=HALL_SETTINGS)

        with db.engine.connect() as conn:
            table = MetaData()
            table.reflect(bind=conn, only=["setting"])
            rows = conn.execute(select(table.tables["setting"])).mappings().all()
        assert sorted((r["hall_id"], r["key"], r["updated_at"]) for r in rows) == sorted(
            (hall_id, key, changed)
            for hall_id in hall_ids
            for key in ("OPENING_HOURS", "EXTRA_HOLIDAYS")
        )
        with app.test_request_context("/"):
            for hall_id in hall_ids:
                assert setting("OPENING_HOURS", hall=hall_id) == "09:00-18:00"
                assert setting("EXTRA_HOLIDAYS", hall=hall_id) == ["2026-10-09"]
            db.session.remove()

        downgrade(revision=BEFORE_HALL_SETTINGS)  # one installation-wide row per setting again
        with db.engine.connect() as conn:
            table = MetaData()
            table.reflect(bind=conn, only=["setting"])
            rows = conn.execute(select(table.tables["setting"])).mappings().all()
        assert sorted((r["key"], r["value"]) for r in rows) == [
            ("EXTRA_HOLIDAYS", ["2026-10-09"]),
            ("OPENING_HOURS", "09:00-18:00"),
        ]
        db.engine.dispose()


BEFORE_DROPPING_INTAKE = "t1_hall_settings"


def test_taps_waiting_in_the_old_intake_become_ratings_on_upgrade(
    database_url: str, tmp_path: Path
) -> None:
    """Every tap still waiting in rating_intake is recorded as the old drain would have."""
    from tests.conftest import hall_time

    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url},
        instance_path=str(tmp_path / "instance"),
    )
    at = hall_time(2026, 11, 10, 10, 0)  # a Tuesday morning in the hall
    with app.app_context():
        upgrade(revision=BEFORE_DROPPING_INTAKE)
        old = MetaData()
        with db.engine.connect() as conn:
            old.reflect(bind=conn)
        t = old.tables
        with db.engine.begin() as conn:
            hall_id = conn.execute(
                t["hall"].insert().values(slug="h", name="中心", created_at=at)
            ).inserted_primary_key[0]
            window_id = conn.execute(
                t["service_window"]
                .insert()
                .values(
                    hall_id=hall_id,
                    number=1,
                    name="综合",
                    services="",
                    qr_token="tok-1",
                    active=True,
                    created_at=at,
                )
            ).inserted_primary_key[0]
            staff_id = conn.execute(
                t["staff"]
                .insert()
                .values(hall_id=hall_id, staff_no="001", name="王芳", active=True, created_at=at)
            ).inserted_primary_key[0]
            conn.execute(
                t["duty"].insert(),
                [
                    {
                        "staff_id": staff_id,
                        "window_id": window_id,
                        "starts_at": at - timedelta(hours=1),
                        "ends_at": at + timedelta(hours=1),
                        "source": "roster",
                        "created_at": at,
                    }
                ],
            )
            tap = {"window_id": window_id, "channel": "qr", "device_hash": "phone-1"}
            conn.execute(
                t["rating_intake"].insert(),
                [
                    # recorded long ago: its rating exists already; nothing new is made of it
                    {**tap, "idempotency_key": "done-key-01", "level": 5, "staff_session": False,
                     "tapped_at": at - timedelta(days=3), "processed_at": at - timedelta(days=3)},
                    {**tap, "idempotency_key": "wait-key-01", "level": 4, "staff_session": False,
                     "tapped_at": at, "processed_at": None},
                    # the same phone again a minute later: replaces its first rating
                    {**tap, "idempotency_key": "wait-key-02", "level": 1, "staff_session": False,
                     "tapped_at": at + timedelta(minutes=1), "processed_at": None},
                    # a clerk's signed-in phone: kept, quarantined
                    {**tap, "device_hash": "phone-2", "idempotency_key": "wait-key-03",
                     "level": 5, "staff_session": True, "tapped_at": at + timedelta(minutes=2),
                     "processed_at": None},
                ],
            )  # fmt: skip

        upgrade()

        assert "rating_intake" not in inspect(db.engine).get_table_names()
        with app.test_request_context("/"):
            from kiosk.models import Rating, RatingRevision
            from kiosk.services import board_cache, rating_log

            found = {r.idempotency_key: r for r in db.session.scalars(select(Rating))}
            assert set(found) == {"wait-key-02", "wait-key-03"}
            replaced = found["wait-key-02"]
            assert (replaced.level, replaced.staff_id, replaced.status) == (1, staff_id, "counted")
            assert replaced.created_at == at + timedelta(minutes=1)
            assert db.session.scalar(select(RatingRevision.idempotency_key)) == "wait-key-01"
            own = found["wait-key-03"]
            assert (own.status, own.flags) == ("quarantined", ["staff_device"])
            checked, problems = rating_log.verify()
            assert checked == 3 and problems == []  # created, replaced, created
            from kiosk.models import RatingTally

            def tallies() -> list[tuple]:
                rows = db.session.scalars(select(RatingTally).where(RatingTally.count != 0)).all()
                return sorted((r.grain, r.period, r.subject, r.subject_id, r.level, r.count)
                              for r in rows)  # fmt: skip

            counted = tallies()
            assert ("day", at.date(), "staff", staff_id, 1, 1) in counted
            board_cache.rebuild(hall_id)
            assert tallies() == counted  # the counters agree with a recount from the ratings
            db.session.remove()
        db.engine.dispose()
