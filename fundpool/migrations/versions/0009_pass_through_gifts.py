"""Pass-through gifts (受托代理): accounts 1701 受托代理资产 and 2601 受托代理负债 for every
fund in every currency it keeps, the designated recipient on a donation, and the payments
on to that recipient.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)
WITHIN, WITHIN_SQL = ("ck_donations_paid_on_within_amount",
                      "paid_on >= 0 AND paid_on + refunded <= amount")
ONLY, ONLY_SQL = ("ck_donations_paid_on_only_pass_through",
                  "paid_on = 0 OR pass_through_recipient IS NOT NULL")
ACCOUNTS = (
    ("1701", "受托代理资产", "Entrusted agency assets (pass-through gifts held)", "asset"),
    ("2601", "受托代理负债", "Entrusted agency liabilities (owed to designated recipients)",
     "liability"),
)


def upgrade() -> None:
    op.add_column("donations", sa.Column("pass_through_recipient", sa.String(200), nullable=True))
    op.add_column("donations", sa.Column("pass_through_note", sa.String(500), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # A table CHECK would make SQLite rebuild the table, and dropping the old one fails
        # once receipts refer to donations (foreign keys are enforced): the same checks go on
        # the new column instead.
        op.execute(f"ALTER TABLE donations ADD COLUMN paid_on INTEGER DEFAULT '0' NOT NULL "
                   f"CONSTRAINT {WITHIN} CHECK ({WITHIN_SQL}) "
                   f"CONSTRAINT {ONLY} CHECK ({ONLY_SQL})")
    else:
        op.add_column("donations", sa.Column("paid_on", ID, nullable=False, server_default="0"))
        op.create_check_constraint(op.f(WITHIN), "donations", WITHIN_SQL)
        op.create_check_constraint(op.f(ONLY), "donations", ONLY_SQL)
    op.create_table(
        "pass_through_payments",
        sa.Column("id", ID, nullable=False),
        sa.Column("donation_id", ID, nullable=False),
        sa.Column("amount", ID, nullable=False),
        sa.Column("paid_date", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_pass_through_payments_amount_positive")),
        sa.ForeignKeyConstraint(["donation_id"], ["donations.id"],
                                name=op.f("fk_pass_through_payments_donation_id_donations")),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"],
                                name=op.f("fk_pass_through_payments_entry_id_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_through_payments")),
    )
    op.create_index(op.f("ix_pass_through_payments_donation_id"), "pass_through_payments",
                    ["donation_id"])
    for chart_code, name, name_en, kind in ACCOUNTS:
        # Every fund, general or not, in every currency it already has accounts in.
        op.execute(sa.text(
            "INSERT INTO accounts (code, chart_code, name, name_en, pool_id, fund_id, type, "
            "currency, no_overdraft, opened_at, balance, pending, last_seq, head_hash) "
            "SELECT DISTINCT funds.code || ':' || :chart || ':' || accounts.currency, :chart, "
            ":name, :name_en, funds.pool_id, funds.id, :kind, accounts.currency, true, "
            "CURRENT_TIMESTAMP, 0, 0, 0, :genesis "
            "FROM funds JOIN accounts ON accounts.fund_id = funds.id "
            "WHERE NOT EXISTS (SELECT 1 FROM accounts AS existing WHERE existing.code = "
            "funds.code || ':' || :chart || ':' || accounts.currency)"
        ).bindparams(chart=chart_code, name=name, name_en=name_en, kind=kind, genesis="0" * 64))


def downgrade() -> None:
    op.drop_index(op.f("ix_pass_through_payments_donation_id"), "pass_through_payments")
    op.drop_table("pass_through_payments")
    op.execute("DELETE FROM accounts WHERE chart_code IN ('1701', '2601')")
    if op.get_bind().dialect.name == "sqlite":
        for column in ("paid_on", "pass_through_note", "pass_through_recipient"):
            op.execute(f"ALTER TABLE donations DROP COLUMN {column}")
        return
    op.drop_constraint(op.f(ONLY), "donations", type_="check")
    op.drop_constraint(op.f(WITHIN), "donations", type_="check")
    for column in ("paid_on", "pass_through_note", "pass_through_recipient"):
        op.drop_column("donations", column)
