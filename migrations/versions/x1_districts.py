"""districts hold stations (halls); district accounts

Revision ID: x1_districts
Revises: w1_quarantine_index
Create Date: 2026-12-08 09:00:00.000000

A street office (街道, `district`) holds several stations (便民服务站): the halls it assesses.
`hall.district_id` names it (NULL for a hall that stands alone, as every hall does on the day
of the upgrade). District accounts (district_admin, district_assessor, resident_rep) belong to
a district instead of a hall: `user_account.district_id`. The role column grows to 20
characters for those names ("district_assessor" has 17).

Downgrading drops the districts. District accounts cannot exist before this revision (no role
and nothing to belong to), yet audit entries may name them, so they are kept, deactivated, as
hall-less "staff" accounts that belong to no hall page and cannot sign in; a hall is simply
detached from its district.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "x1_districts"
down_revision = "w1_quarantine_index"
branch_labels = None
depends_on = None

DISTRICT_ROLES = ("district_admin", "district_assessor", "resident_rep")


def upgrade():
    op.create_table(
        "district",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district")),
        sa.UniqueConstraint("slug", name=op.f("uq_district_slug")),
    )
    with op.batch_alter_table("hall", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_hall_district_id_district"), "district", ["district_id"], ["id"]
        )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_user_account_district_id_district"),
            "district",
            ["district_id"],
            ["id"],
        )
        batch_op.alter_column(
            "role",
            existing_type=sa.String(length=12),
            type_=sa.String(length=20),
            existing_nullable=False,
        )


def downgrade():
    user = sa.table("user_account", sa.column("role", sa.String), sa.column("active", sa.Boolean))
    # Deactivated: the sign-in and every session cookie issued to them stop working at once.
    op.get_bind().execute(
        user.update().where(user.c.role.in_(DISTRICT_ROLES)).values(role="staff", active=False)
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column(
            "role",
            existing_type=sa.String(length=20),
            type_=sa.String(length=12),
            existing_nullable=False,
        )
        batch_op.drop_constraint(
            batch_op.f("fk_user_account_district_id_district"), type_="foreignkey"
        )
        batch_op.drop_column("district_id")
    with op.batch_alter_table("hall", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_hall_district_id_district"), type_="foreignkey")
        batch_op.drop_column("district_id")
    op.drop_table("district")
