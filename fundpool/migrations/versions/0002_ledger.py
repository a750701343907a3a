"""The ledger: accounts, append-only entries and postings, holds, periods, idempotency keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from fundpool.migrations.append_only import protect, unprotect

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)
#: The chart of accounts as it stood at this revision (fundpool/ledger/chart.py).
CHART = (
    ("1002", "银行存款", "Bank deposits", "asset", True),
    ("1009", "其他货币资金", "Other monetary funds (platform clearing)", "asset", True),
    ("2209", "其他应付款", "Other payables (grants approved, not yet paid)", "liability", True),
    ("3101", "非限定性净资产", "Unrestricted net assets", "net_assets", False),
    ("3102", "限定性净资产", "Restricted net assets", "net_assets", False),
    ("410101", "捐赠收入—非限定性", "Donation income, unrestricted", "income", False),
    ("410102", "捐赠收入—限定性", "Donation income, restricted", "income", False),
    ("4901", "其他收入", "Other income", "income", False),
    ("5101", "业务活动成本", "Program activity costs", "expense", False),
    ("5201", "管理费用", "Administrative expenses", "expense", False),
)


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("id", ID, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("expires_at", TIME, nullable=True),
        sa.Column("resolved_at", TIME, nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'committed', 'voided', 'expired')",
            name=op.f("ck_holds_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    op.create_index(op.f("ix_holds_expires_at"), "holds", ["expires_at"])
    op.create_index(op.f("ix_holds_status"), "holds", ["status"])

    op.create_table(
        "idempotency_keys",
        sa.Column("id", ID, nullable=False),
        sa.Column("token_id", ID, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("status_code", ID, nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("token_id", "key", name="uq_idempotency_keys_token_key"),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"])

    op.create_table(
        "periods",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("changed_at", TIME, nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_periods")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", ID, nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("chart_code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("pool_id", ID, nullable=False),
        sa.Column("type", sa.String(length=12), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("no_overdraft", sa.Boolean(), nullable=False),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("balance", ID, nullable=False),
        sa.Column("pending", ID, nullable=False),
        sa.Column("last_seq", ID, nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "type IN ('asset', 'liability', 'net_assets', 'income', 'expense')",
            name=op.f("ck_accounts_type_known"),
        ),
        sa.CheckConstraint(
            "NOT no_overdraft OR balance - pending >= 0", name=op.f("ck_accounts_no_overdraft")
        ),
        sa.CheckConstraint("pending >= 0", name=op.f("ck_accounts_pending_not_negative")),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pools.id"], name=op.f("fk_accounts_pool_id_pools"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("code", name=op.f("uq_accounts_code")),
    )
    op.create_index(op.f("ix_accounts_pool_id"), "accounts", ["pool_id"])

    op.create_table(
        "entries",
        sa.Column("id", ID, nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("external_ref", sa.String(length=100), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("reverses_id", ID, nullable=True),
        sa.Column("hold_id", ID, nullable=True),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"], name=op.f("fk_entries_hold_id_holds")),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["entries.id"], name=op.f("fk_entries_reverses_id_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entries")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_entries_reverses_id")),
    )
    op.create_index(op.f("ix_entries_effective_date"), "entries", ["effective_date"])
    op.create_index(op.f("ix_entries_hold_id"), "entries", ["hold_id"])
    op.create_index(op.f("ix_entries_kind"), "entries", ["kind"])

    op.create_table(
        "hold_legs",
        sa.Column("id", ID, nullable=False),
        sa.Column("hold_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("counter_account_id", ID, nullable=False),
        sa.Column("amount", ID, nullable=False),
        sa.Column("committed", ID, nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_hold_legs_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_hold_legs_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["counter_account_id"],
            ["accounts.id"],
            name=op.f("fk_hold_legs_counter_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"], name=op.f("fk_hold_legs_hold_id_holds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold_legs")),
    )
    op.create_index(op.f("ix_hold_legs_account_id"), "hold_legs", ["account_id"])
    op.create_index(op.f("ix_hold_legs_hold_id"), "hold_legs", ["hold_id"])

    op.create_table(
        "postings",
        sa.Column("id", ID, nullable=False),
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("side", sa.String(length=6), nullable=False),
        sa.Column("amount", ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("account_seq", ID, nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("side IN ('debit', 'credit')", name=op.f("ck_postings_side_known")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_postings_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_postings_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_postings_entry_id_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
        sa.UniqueConstraint("account_id", "account_seq", name="uq_postings_account_seq"),
    )
    op.create_index("ix_postings_account_date", "postings", ["account_id", "effective_date"])
    op.create_index(op.f("ix_postings_entry_id"), "postings", ["entry_id"])
    for table in ("entries", "postings"):
        protect(table)
    _open_accounts_for_existing_pools()


def _open_accounts_for_existing_pools() -> None:
    """Pools made before the ledger get the chart in CNY, as new pools do."""
    for code, name, name_en, kind, no_overdraft in CHART:
        op.execute(
            sa.text(
                "INSERT INTO accounts (code, chart_code, name, name_en, pool_id, type, currency, "
                "no_overdraft, opened_at, balance, pending, last_seq, head_hash) "
                "SELECT pools.code || ':' || :chart || :suffix, :chart, :name, :name_en, pools.id, "
                ":kind, 'CNY', :no_overdraft, CURRENT_TIMESTAMP, 0, 0, 0, :genesis FROM pools"
            ).bindparams(
                chart=code,
                name=name,
                name_en=name_en,
                kind=kind,
                no_overdraft=no_overdraft,
                suffix=":CNY",
                genesis="0" * 64,
            )
        )


def downgrade() -> None:
    for table in ("postings", "entries"):
        unprotect(table)
    for table in (
        "postings",
        "hold_legs",
        "entries",
        "accounts",
        "periods",
        "idempotency_keys",
        "holds",
    ):
        op.drop_table(table)
