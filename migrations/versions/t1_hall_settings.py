"""settings belong to a hall

Revision ID: t1_hall_settings
Revises: q1_intake
Create Date: 2026-11-22 10:00:00.000000

Until now one `setting` row applied to every hall, so one hall's admin changed the opening
hours, deadlines and retention of all of them. Each row now names its hall. The overrides an
installation already has are copied to every hall it holds, so nothing changes for it on the
day of the upgrade (a single-hall installation keeps its settings for its hall); overrides with
no hall to belong to are dropped, as they applied to nothing.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "t1_hall_settings"
down_revision = "q1_intake"
branch_labels = None
depends_on = None


def _setting_table():
    return sa.table(
        "setting",
        sa.column("id", sa.Integer),
        sa.column("hall_id", sa.Integer),
        sa.column("key", sa.String),
        sa.column("value", sa.JSON),
        sa.column("updated_at", sa.DateTime),
        sa.column("updated_by_id", sa.Integer),
    )


def upgrade():
    with op.batch_alter_table("setting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hall_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_setting_key"), type_="unique")

    _copy_to_every_hall()

    with op.batch_alter_table("setting", schema=None) as batch_op:
        batch_op.alter_column("hall_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_setting_hall_id"), ["hall_id", "key"])
        batch_op.create_foreign_key(
            batch_op.f("fk_setting_hall_id_hall"), "hall", ["hall_id"], ["id"]
        )


def _copy_to_every_hall():
    bind = op.get_bind()
    setting = _setting_table()
    hall = sa.table("hall", sa.column("id"))
    hall_ids = [row.id for row in bind.execute(sa.select(hall.c.id).order_by(hall.c.id))]
    rows = list(bind.execute(sa.select(setting).order_by(setting.c.id)))
    if not hall_ids:
        bind.execute(setting.delete())
        return
    first, others = hall_ids[0], hall_ids[1:]
    bind.execute(setting.update().values(hall_id=first))
    copies = [
        {
            "hall_id": hall_id,
            "key": row.key,
            "value": row.value,
            "updated_at": row.updated_at,
            "updated_by_id": row.updated_by_id,
        }
        for row in rows
        for hall_id in others
    ]
    if copies:
        bind.execute(setting.insert(), copies)


def downgrade():
    # One installation-wide row per setting again: the first stored override of each is kept.
    bind = op.get_bind()
    setting = _setting_table()
    kept = sa.select(sa.func.min(setting.c.id)).group_by(setting.c.key).scalar_subquery()
    bind.execute(setting.delete().where(setting.c.id.not_in(kept)))

    with op.batch_alter_table("setting", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_setting_hall_id_hall"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_setting_hall_id"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_setting_key"), ["key"])
        batch_op.drop_column("hall_id")
