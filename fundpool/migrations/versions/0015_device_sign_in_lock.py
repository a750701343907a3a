"""A separate sign-in lock for browsers a person has signed in from before.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("users", sa.Column("device_failed_sign_ins", ID, nullable=False, server_default="0"))
    op.add_column("users", sa.Column("device_locked_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("device_locked_until")
        batch.drop_column("device_failed_sign_ins")
