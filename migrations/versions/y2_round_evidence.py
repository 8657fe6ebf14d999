"""evidence (photos, PDFs) a round's members attach to their scoring of a station

Revision ID: y2_round_evidence
Revises: y1_station_rounds
Create Date: 2026-12-07 12:40:17.292773

The rows name files stored under the instance folder (instance/evidence/), not in the
database. A downgrade drops the rows; the files stay where they are, for an operator to keep
or remove.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "y2_round_evidence"
down_revision = "y1_station_rounds"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "station_round_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=80), nullable=True),
        sa.Column("file_name", sa.String(length=120), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["hall.id"], name=op.f("fk_station_round_evidence_hall_id_hall")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["station_round_member.id"],
            name=op.f("fk_station_round_evidence_member_id_station_round_member"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["station_round.id"],
            name=op.f("fk_station_round_evidence_round_id_station_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_round_evidence")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_station_round_evidence_stored_name")),
    )
    with op.batch_alter_table("station_round_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_station_round_evidence_round_id"), ["round_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("station_round_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_round_evidence_round_id"))

    op.drop_table("station_round_evidence")
