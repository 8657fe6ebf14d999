"""feedback, suggestions and one objection on a finalised result

Revision ID: y1_result_feedback
Revises: x1_districts
Create Date: 2026-12-07 12:30:00.000000

`result_feedback` holds, per hall, period and staff member, the supervisor's written feedback
and improvement suggestions, the staff member's acknowledgement and their one objection (异议)
with its decision. Downgrading drops it: what was written is lost with the feature.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "y1_result_feedback"
down_revision = "x1_districts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "result_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column("suggestions", sa.Text(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=True),
        sa.Column("written_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("objection", sa.Text(), nullable=False),
        sa.Column("objected_at", sa.DateTime(), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_result_feedback_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["hall.id"], name=op.f("fk_result_feedback_hall_id_hall")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_result_feedback_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"],
            ["user_account.id"],
            name=op.f("fk_result_feedback_written_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_feedback")),
        sa.UniqueConstraint(
            "hall_id", "period", "staff_id", name=op.f("uq_result_feedback_hall_id")
        ),
    )


def downgrade():
    op.drop_table("result_feedback")
