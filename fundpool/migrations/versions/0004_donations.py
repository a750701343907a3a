"""Donors, donations, receipt books and receipts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "donors",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("id_number", sa.String(length=40), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint(
            "kind IN ('individual', 'enterprise', 'foundation', 'platform', 'government')",
            name=op.f("ck_donors_kind_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donors")),
    )
    op.create_table(
        "receipt_books",
        sa.Column("id", ID, nullable=False),
        sa.Column("pool_id", ID, nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("first_number", ID, nullable=False),
        sa.Column("last_number", ID, nullable=False),
        sa.Column("next_number", ID, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint(
            "first_number <= last_number", name=op.f("ck_receipt_books_range_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pools.id"], name=op.f("fk_receipt_books_pool_id_pools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_books")),
        sa.UniqueConstraint("code", "first_number", name="uq_receipt_books_code_first"),
    )
    op.create_index(op.f("ix_receipt_books_pool_id"), "receipt_books", ["pool_id"])

    op.create_table(
        "donations",
        sa.Column("id", ID, nullable=False),
        sa.Column("donor_id", ID, nullable=False),
        sa.Column("fund_id", ID, nullable=False),
        sa.Column("amount", ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("channel_ref", sa.String(length=100), nullable=False),
        sa.Column("received_date", sa.Date(), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("refunded", ID, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_donations_amount_positive")),
        sa.CheckConstraint(
            "refunded >= 0 AND refunded <= amount", name=op.f("ck_donations_refund_within_amount")
        ),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_donations_donor_id_donors")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_donations_entry_id_entries")
        ),
        sa.ForeignKeyConstraint(["fund_id"], ["funds.id"], name=op.f("fk_donations_fund_id_funds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donations")),
        sa.UniqueConstraint("channel", "channel_ref", name="uq_donations_channel_ref"),
    )
    op.create_index(op.f("ix_donations_donor_id"), "donations", ["donor_id"])
    op.create_index(op.f("ix_donations_fund_id"), "donations", ["fund_id"])

    op.create_table(
        "receipts",
        sa.Column("id", ID, nullable=False),
        sa.Column("book_id", ID, nullable=False),
        sa.Column("number", ID, nullable=False),
        sa.Column("donation_id", ID, nullable=False),
        sa.Column("amount", ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued_at", TIME, nullable=False),
        sa.Column("voided_at", TIME, nullable=True),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["book_id"], ["receipt_books.id"], name=op.f("fk_receipts_book_id_receipt_books")
        ),
        sa.ForeignKeyConstraint(
            ["donation_id"], ["donations.id"], name=op.f("fk_receipts_donation_id_donations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("book_id", "number", name="uq_receipts_book_number"),
    )
    op.create_index(op.f("ix_receipts_donation_id"), "receipts", ["donation_id"])


def downgrade() -> None:
    for table in ("receipts", "donations", "receipt_books", "donors"):
        op.drop_table(table)
