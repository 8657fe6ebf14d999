"""x1_districts: districts and district accounts arrive without touching a hall or an account,
and leave again on downgrade without losing one."""

from datetime import datetime
from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, select

from kiosk import create_app
from kiosk.extensions import db

BEFORE = "w1_quarantine_index"
DISTRICTS = "x1_districts"
AT = datetime(2026, 12, 1, 9, 0)


def _tables() -> dict:  # type: ignore[type-arg]
    metadata = MetaData()
    with db.engine.connect() as conn:
        metadata.reflect(bind=conn)
    return dict(metadata.tables)


def _account(username: str, role: str, **fields: object) -> dict[str, object]:
    return {
        "username": username,
        "password_hash": "x",
        "role": role,
        "active": True,
        "created_at": AT,
        "session_token": "0" * 32,
        **fields,
    }


def test_districts_upgrade_keeps_halls_and_accounts_and_downgrade_keeps_them_too(
    database_url: str, tmp_path: Path, backend: str
) -> None:
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        upgrade(revision=BEFORE)
        t = _tables()
        with db.engine.begin() as conn:
            hall_id = conn.execute(
                t["hall"].insert().values(slug="xingfu", name="幸福", created_at=AT)
            ).inserted_primary_key[0]
            conn.execute(t["user_account"].insert(), [_account("admin", "admin", hall_id=hall_id)])

        upgrade(revision=DISTRICTS)

        t = _tables()
        assert "district" in t
        with db.engine.begin() as conn:
            assert conn.execute(select(t["hall"].c.district_id)).scalars().all() == [None]
            admin = conn.execute(select(t["user_account"])).mappings().one()
            assert (admin["role"], admin["hall_id"], admin["district_id"]) == (
                "admin",
                hall_id,
                None,
            )
            district_id = conn.execute(
                t["district"].insert().values(slug="fuxing", name="复兴街道", created_at=AT)
            ).inserted_primary_key[0]
            conn.execute(t["hall"].update().values(district_id=district_id))
            # The longest role name fits the widened column (PostgreSQL would refuse it in 12).
            conn.execute(
                t["user_account"].insert(),
                [_account("assessor", "district_assessor", district_id=district_id)],
            )

        downgrade(revision=BEFORE)

        t = _tables()
        assert "district" not in t
        assert "district_id" not in {c["name"] for c in inspect(db.engine).get_columns("hall")}
        with db.engine.connect() as conn:
            assert conn.execute(select(t["hall"].c.slug)).scalars().all() == ["xingfu"]
            accounts = {
                row["username"]: (row["role"], row["active"], row["hall_id"])
                for row in conn.execute(select(t["user_account"])).mappings()
            }
        # The district account is kept (audit entries may name it), unable to sign in.
        assert accounts == {"admin": ("admin", True, hall_id), "assessor": ("staff", False, None)}

        upgrade()  # and up again
        assert "district" in _tables()
        db.engine.dispose()
