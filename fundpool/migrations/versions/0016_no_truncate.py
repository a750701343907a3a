"""The append-only tables refuse TRUNCATE on PostgreSQL too.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28
"""

from alembic import op

from fundpool.migrations.append_only import protect_from_truncate, unprotect_from_truncate

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLES = ("audit_events", "entries", "postings")


def upgrade() -> None:
    for table in TABLES:
        protect_from_truncate(table)


def downgrade() -> None:
    for table in TABLES:
        unprotect_from_truncate(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS fundpool_refuse_truncate()")
