"""y1_station_rounds and y2_round_evidence: the rounds' tables arrive empty beside the
districts, and a downgrade drops them (with the rounds they hold) and leaves the districts and
halls as they were."""

from datetime import datetime
from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, select

from kiosk import create_app
from kiosk.extensions import db

BEFORE = "y1_result_feedback"  # the revision before the rounds
ROUNDS = "y2_round_evidence"
TABLES = {
    "station_round",
    "station_round_station",
    "station_round_member",
    "station_round_score",
    "station_round_evidence",
}
AT = datetime(2026, 12, 1, 9, 0)


def _tables() -> dict:  # type: ignore[type-arg]
    metadata = MetaData()
    with db.engine.connect() as conn:
        metadata.reflect(bind=conn)
    return dict(metadata.tables)


def test_rounds_tables_come_and_go_and_the_districts_stay(
    database_url: str, tmp_path: Path, backend: str
) -> None:
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        upgrade(revision=BEFORE)
        t = _tables()
        assert not TABLES & set(t)
        with db.engine.begin() as conn:
            district_id = conn.execute(
                t["district"].insert().values(slug="fuxing", name="复兴街道", created_at=AT)
            ).inserted_primary_key[0]
            conn.execute(
                t["hall"]
                .insert()
                .values(slug="xingfu", name="幸福", created_at=AT, district_id=district_id)
            )

        upgrade(revision=ROUNDS)

        t = _tables()
        assert set(t) >= TABLES
        with db.engine.begin() as conn:
            conn.execute(
                t["station_round"]
                .insert()
                .values(
                    district_id=district_id,
                    title="2026年第四季度考核",
                    kind="quarter",
                    period="2026Q4",
                    scheme="2019",
                    status="open",
                    created_at=AT,
                )
            )

        downgrade(revision=BEFORE)

        t = _tables()
        assert not TABLES & set(t)
        with db.engine.connect() as conn:
            assert conn.execute(select(t["hall"].c.district_id)).scalars().all() == [district_id]
        upgrade()
        db.engine.dispose()
