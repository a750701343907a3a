"""Allocations between funds.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "allocations",
        sa.Column("id", ID, nullable=False),
        sa.Column("source_fund_id", ID, nullable=False),
        sa.Column("target_fund_id", ID, nullable=False),
        sa.Column("amount", ID, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("direction", sa.String(6), nullable=False),
        sa.Column("memo", sa.String(500), nullable=False),
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_allocations_amount_positive")),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"],
                                name=op.f("fk_allocations_entry_id_entries")),
        sa.ForeignKeyConstraint(["source_fund_id"], ["funds.id"],
                                name=op.f("fk_allocations_source_fund_id_funds")),
        sa.ForeignKeyConstraint(["target_fund_id"], ["funds.id"],
                                name=op.f("fk_allocations_target_fund_id_funds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
    )
    op.create_index(op.f("ix_allocations_source_fund_id"), "allocations", ["source_fund_id"])
    op.create_index(op.f("ix_allocations_target_fund_id"), "allocations", ["target_fund_id"])


def downgrade() -> None:
    op.drop_table("allocations")
