"""Funds: every pool's general fund, restricted funds, foundation grants; accounts per fund.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "funds",
        sa.Column("id", ID, nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=True),
        sa.Column("pool_id", ID, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("named_for", sa.String(200), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("area_codes", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("per_grant_limit", ID, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("closed_at", TIME, nullable=True),
        sa.CheckConstraint("kind IN ('general', 'community', 'special', 'named')",
                           name=op.f("ck_funds_kind_known")),
        sa.CheckConstraint("kind <> 'named' OR named_for IS NOT NULL",
                           name=op.f("ck_funds_named_has_namesake")),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"], name=op.f("fk_funds_pool_id_pools"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funds")),
        sa.UniqueConstraint("code", name=op.f("uq_funds_code")),
    )
    op.create_index(op.f("ix_funds_pool_id"), "funds", ["pool_id"])
    op.create_table(
        "fund_grants",
        sa.Column("token_id", ID, nullable=False),
        sa.Column("fund_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["fund_id"], ["funds.id"], name=op.f("fk_fund_grants_fund_id_funds")),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"],
                                name=op.f("fk_fund_grants_token_id_api_tokens")),
        sa.PrimaryKeyConstraint("token_id", "fund_id", name=op.f("pk_fund_grants")),
    )
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("fund_id", ID, nullable=True))
        batch.create_foreign_key(op.f("fk_accounts_fund_id_funds"), "funds", ["fund_id"], ["id"],
                                 ondelete="RESTRICT")
        batch.create_index(op.f("ix_accounts_fund_id"), ["fund_id"])
    op.execute(
        "INSERT INTO funds (code, name, pool_id, kind, restricted, categories, area_codes, "
        "created_at) SELECT code, name || '资金池', id, 'general', false, '[]', '[]', "
        "CURRENT_TIMESTAMP FROM pools")
    op.execute(
        "UPDATE accounts SET fund_id = (SELECT funds.id FROM funds WHERE funds.kind = 'general' "
        "AND funds.pool_id = accounts.pool_id)")


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_index(op.f("ix_accounts_fund_id"))
        batch.drop_constraint(op.f("fk_accounts_fund_id_funds"), type_="foreignkey")
        batch.drop_column("fund_id")
    op.drop_table("fund_grants")
    op.drop_table("funds")
