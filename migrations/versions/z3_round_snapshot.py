"""a finalised station round's frozen results

Revision ID: z3_round_snapshot
Revises: z2_adjustment_category
Create Date: 2026-12-08 00:30:00.000000

`station_round_snapshot` holds, once per round, the results a district admin finalised (the
scoring package's plain form, every point explained) and who finalised it and when; the
round's status becomes finalised. Downgrading drops it: rounds finalised since read as open.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "z3_round_snapshot"
down_revision = "z2_adjustment_category"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "station_round_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("finalised_at", sa.DateTime(), nullable=False),
        sa.Column("finalised_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["finalised_by_id"],
            ["user_account.id"],
            name=op.f("fk_station_round_snapshot_finalised_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["station_round.id"],
            name=op.f("fk_station_round_snapshot_round_id_station_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_round_snapshot")),
        sa.UniqueConstraint("round_id", name=op.f("uq_station_round_snapshot_round_id")),
    )


def downgrade():
    op.execute("UPDATE station_round SET status = 'open' WHERE status = 'finalised'")
    op.drop_table("station_round_snapshot")
