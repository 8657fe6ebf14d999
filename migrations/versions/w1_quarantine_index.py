"""ratings waiting for review get a partial index; the log's unused rating_id index goes

Revision ID: w1_quarantine_index
Revises: v1_held_tallies
Create Date: 2026-12-07 01:40:00.000000

The supervisor's home page, the dashboard and the review queue count and list the hall's
quarantined ratings: with ix_rating_quarantined (hall_id, status, created_at) over those
ratings only, that costs what is waiting, not every rating the hall ever got. Nothing reads
the log by rating_id (it is read in id order, and ratings are never deleted), nor by hash, so
both indexes go: the hash was unique, but appends are serialised and `flask verify-log` finds any
entry that does not follow its predecessor, which a duplicate never does.
tests/db/test_index_use.py names the query behind every index of these tables.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "w1_quarantine_index"
down_revision = "v1_held_tallies"
branch_labels = None
depends_on = None

QUARANTINED = sa.text("status = 'quarantined'")


def upgrade():
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rating_quarantined",
            ["hall_id", "status", "created_at"],
            unique=False,
            sqlite_where=QUARANTINED,
            postgresql_where=QUARANTINED,
        )
    with op.batch_alter_table("rating_log", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_log_rating_id")
        batch_op.drop_constraint("uq_rating_log_hash", type_="unique")


def downgrade():
    with op.batch_alter_table("rating_log", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_rating_log_hash", ["hash"])
        batch_op.create_index("ix_rating_log_rating_id", ["rating_id"], unique=False)
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_quarantined")
