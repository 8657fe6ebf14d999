"""board: quarantined ratings counted apart (rating_tally rows of subject "held")

Revision ID: v1_held_tallies
Revises: u1_drop_intake
Create Date: 2026-12-06 23:30:00.000000

The board says how many of today's ratings wait for review, from rating_tally rows of subject
"held" (per window, day grain), which every change to a rating keeps in step from now on. Here
the ratings already quarantined get theirs, by recounting the tallies as `flask board rebuild`
does (kiosk.services.board_cache.rebuild); without them, releasing such a rating later would
take one from a counter that never had it. A database without quarantined ratings (every
fresh one) runs no application code here.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

# revision identifiers, used by Alembic.
revision = "v1_held_tallies"
down_revision = "u1_drop_intake"
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    rating = sa.table("rating", sa.column("status", sa.String))
    held = connection.execute(
        sa.select(sa.func.count()).select_from(rating).where(rating.c.status == "quarantined")
    ).scalar()
    if not held:
        return
    from kiosk.extensions import db
    from kiosk.services import board_cache

    # The service uses db.session: here a session on the migration's own connection, so the
    # recount commits (or rolls back) with the migration.
    session = Session(bind=connection, join_transaction_mode="rollback_only")
    db.session.registry.set(session)
    try:
        board_cache.rebuild()
        session.commit()
    finally:
        session.close()
        db.session.registry.clear()


def downgrade():
    tally = sa.table("rating_tally", sa.column("subject", sa.String))
    op.execute(tally.delete().where(tally.c.subject == "held"))
