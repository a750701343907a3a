"""Index donor names (imports find platform donors by display name).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_donors_name"), "donors", ["name"])


def downgrade() -> None:
    op.drop_index(op.f("ix_donors_name"), "donors")
