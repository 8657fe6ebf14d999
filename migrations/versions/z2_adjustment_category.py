"""a ledger entry's adjustment category and the matter it is for

Revision ID: z2_adjustment_category
Revises: z1_monthly_selection
Create Date: 2026-12-08 00:10:00.000000

`adjustment.category` names the scheme's category (表彰, 创新, 工作不力 …; NULL for the free-text
entries of before and after) and `adjustment.matter` the matter (事项) the entry is for: entries
of one kind for the same matter count once, at the highest. Downgrading drops both columns.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "z2_adjustment_category"
down_revision = "z1_monthly_selection"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("adjustment") as batch:
        batch.add_column(sa.Column("category", sa.String(length=40), nullable=True))
        batch.add_column(
            sa.Column("matter", sa.String(length=100), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("adjustment") as batch:
        batch.drop_column("matter")
        batch.drop_column("category")
