"""each month's 优秀 (服务之星), recorded with its reasons

Revision ID: z1_monthly_selection
Revises: y2_round_evidence
Create Date: 2026-12-07 23:50:00.000000

`monthly_selection` holds, per hall and month, who the scheme's [monthly_star] rule chose and
why, who it passed over and why, the rule's terms and who recorded it. Downgrading drops it:
the records are lost with the feature.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "z1_monthly_selection"
down_revision = "y2_round_evidence"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "monthly_selection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("scheme_version", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("chosen", sa.JSON(), nullable=False),
        sa.Column("passed", sa.JSON(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["hall.id"], name=op.f("fk_monthly_selection_hall_id_hall")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_monthly_selection_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_selection")),
        sa.UniqueConstraint("hall_id", "month", name=op.f("uq_monthly_selection_hall_id")),
    )


def downgrade():
    op.drop_table("monthly_selection")
