"""phone taps are recorded in their request: record any still waiting, drop rating_intake

Revision ID: u1_drop_intake
Revises: t1_hall_settings
Create Date: 2026-12-06 23:00:00.000000

Until now a phone tap was stored in rating_intake and made a rating later. Every tap still
waiting when the instance is upgraded is recorded here exactly as that later step would have
recorded it, in order of arrival: its own key, the clerk on duty at its tap time, the
anti-stuffing flags, replacement of the same phone's earlier rating, the hash-chained log and
the board counters (kiosk.services.ratings.record_rating, the one way a rating is made).
Then the table goes. A database with no waiting tap (every fresh one) runs no application
code here, so later changes to the models cannot break this migration on it.
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.orm import Session

# revision identifiers, used by Alembic.
revision = "u1_drop_intake"
down_revision = "t1_hall_settings"
branch_labels = None
depends_on = None


def _waiting_taps(connection):
    intake = sa.table(
        "rating_intake",
        sa.column("id", sa.Integer),
        sa.column("idempotency_key", sa.String),
        sa.column("window_id", sa.Integer),
        sa.column("level", sa.SmallInteger),
        sa.column("channel", sa.String),
        sa.column("device_hash", sa.String),
        sa.column("staff_session", sa.Boolean),
        sa.column("tapped_at", sa.DateTime),
        sa.column("processed_at", sa.DateTime),
    )
    return connection.execute(
        sa.select(intake).where(intake.c.processed_at.is_(None)).order_by(intake.c.id)
    ).all()


def record_waiting_taps(connection) -> int:
    """Record every waiting tap as a rating on the migration's connection; return how many."""
    taps = _waiting_taps(connection)
    if not taps:
        return 0
    from kiosk.extensions import db
    from kiosk.models import Window
    from kiosk.services import ratings
    from kiosk.services.submission import Submission, Tap

    minutes = current_app.config["SAME_DEVICE_INTERVAL_MINUTES"]
    replace_within = timedelta(minutes=minutes) if minutes else None
    # The services use db.session: for this migration, a session on its own connection and
    # transaction, so the ratings and the dropped table commit (or roll back) together.
    session = Session(bind=connection, join_transaction_mode="rollback_only")
    db.session.registry.set(session)
    try:
        for tap in taps:
            window = session.get(Window, tap.window_id)
            ratings.record_rating(
                Submission(
                    window,
                    Tap(tap.level, tap.idempotency_key),
                    tap.channel,
                    tap.tapped_at,
                    device=tap.device_hash,
                    staff_session=tap.staff_session,
                    replace_within=replace_within,
                    screen=True,
                ),
                now=tap.tapped_at,
            )
        session.commit()  # flushes; the migration's own transaction is committed by Alembic
    finally:
        session.close()
        db.session.registry.clear()
    return len(taps)


def upgrade():
    recorded = record_waiting_taps(op.get_bind())
    if recorded:
        print(f"recorded {recorded} waiting phone taps as ratings")
    with op.batch_alter_table("rating_intake", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_rating_intake_pending",
            sqlite_where=sa.text("processed_at IS NULL"),
            postgresql_where=sa.text("processed_at IS NULL"),
        )
    op.drop_table("rating_intake")


def downgrade():
    op.create_table(
        "rating_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=True),
        sa.Column("staff_session", sa.Boolean(), nullable=False),
        sa.Column("tapped_at", sa.DateTime(), nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["service_window.id"],
            name=op.f("fk_rating_intake_window_id_service_window"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_intake")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_rating_intake_idempotency_key")),
    )
    with op.batch_alter_table("rating_intake", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rating_intake_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("processed_at IS NULL"),
            postgresql_where=sa.text("processed_at IS NULL"),
        )
