"""station assessment rounds: their stations, assessment group and each member's item points

Revision ID: y1_station_rounds
Revises: y1_result_feedback
Create Date: 2026-12-07 12:13:50.326334

A district's round (`station_round`) applies a station scheme to some of its stations
(`station_round_station`) for a period or a spot-check day; its group (`station_round_member`)
gives points per station and checklist item (`station_round_score`, one row per member, station
and item, so who scored what is kept). New tables only: nothing existing changes, and a
downgrade drops them with the rounds they hold.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "y1_station_rounds"
down_revision = "y1_result_feedback"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "station_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=True),
        sa.Column("spot_check_on", sa.Date(), nullable=True),
        sa.Column("scheme", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_station_round_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_station_round_district_id_district")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_round")),
    )
    with op.batch_alter_table("station_round", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_station_round_district_id"), ["district_id"], unique=False
        )

    op.create_table(
        "station_round_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("home_hall_id", sa.Integer(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user_account.id"],
            name=op.f("fk_station_round_member_added_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["home_hall_id"], ["hall.id"], name=op.f("fk_station_round_member_home_hall_id_hall")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["station_round.id"],
            name=op.f("fk_station_round_member_round_id_station_round"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_station_round_member_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_round_member")),
        sa.UniqueConstraint("round_id", "user_id", name=op.f("uq_station_round_member_round_id")),
    )
    with op.batch_alter_table("station_round_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_station_round_member_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "station_round_station",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["hall.id"], name=op.f("fk_station_round_station_hall_id_hall")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["station_round.id"],
            name=op.f("fk_station_round_station_round_id_station_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_round_station")),
        sa.UniqueConstraint("round_id", "hall_id", name=op.f("uq_station_round_station_round_id")),
    )
    op.create_table(
        "station_round_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=80), nullable=False),
        sa.Column("points", sa.Double(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["hall.id"], name=op.f("fk_station_round_score_hall_id_hall")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["station_round_member.id"],
            name=op.f("fk_station_round_score_member_id_station_round_member"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["station_round.id"],
            name=op.f("fk_station_round_score_round_id_station_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_round_score")),
        sa.UniqueConstraint(
            "round_id", "hall_id", "member_id", "item", name=op.f("uq_station_round_score_round_id")
        ),
    )
    with op.batch_alter_table("station_round_score", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_station_round_score_member_id"), ["member_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("station_round_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_round_score_member_id"))

    op.drop_table("station_round_score")
    op.drop_table("station_round_station")
    with op.batch_alter_table("station_round_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_round_member_user_id"))

    op.drop_table("station_round_member")
    with op.batch_alter_table("station_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_round_district_id"))

    op.drop_table("station_round")
