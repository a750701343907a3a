"""Year-end closes: one row per closed year, and what its closing entries moved per currency.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "year_ends",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("closed_at", TIME, nullable=False),
        sa.Column("closed_by", sa.String(120), nullable=False),
        sa.Column("entries", ID, nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_year_ends")),
    )
    op.create_table(
        "year_end_totals",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("income_unrestricted", ID, nullable=False),
        sa.Column("income_restricted", ID, nullable=False),
        sa.Column("expenses", ID, nullable=False),
        sa.Column("unrestricted_change", ID, nullable=False),
        sa.Column("restricted_change", ID, nullable=False),
        sa.ForeignKeyConstraint(["year"], ["year_ends.year"],
                                name=op.f("fk_year_end_totals_year_year_ends")),
        sa.PrimaryKeyConstraint("year", "currency", name=op.f("pk_year_end_totals")),
    )


def downgrade() -> None:
    op.drop_table("year_end_totals")
    op.drop_table("year_ends")
