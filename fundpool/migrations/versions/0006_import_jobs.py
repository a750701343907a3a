"""Import jobs with progress and report.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("strict", sa.Boolean(), nullable=False),
        sa.Column("rows_total", ID, nullable=True),
        sa.Column("rows_done", ID, nullable=False),
        sa.Column("imported", ID, nullable=False),
        sa.Column("duplicates", ID, nullable=False),
        sa.Column("rejected", ID, nullable=False),
        sa.Column("message", sa.String(500), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("token_id", ID, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'checking', 'importing', 'done', 'stopped', 'failed')",
            name=op.f("ck_import_jobs_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )


def downgrade() -> None:
    op.drop_table("import_jobs")
