"""Gifts in kind: a goods account (1201) for every fund, description and valuation basis.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("donations") as batch:
        batch.add_column(sa.Column("in_kind_description", sa.String(500), nullable=True))
        batch.add_column(sa.Column("valuation_basis", sa.String(200), nullable=True))
    op.execute(sa.text(
        "INSERT INTO accounts (code, chart_code, name, name_en, pool_id, fund_id, type, currency, "
        "no_overdraft, opened_at, balance, pending, last_seq, head_hash) "
        "SELECT DISTINCT funds.code || ':1201:' || accounts.currency, '1201', :name, :name_en, "
        "funds.pool_id, funds.id, 'asset', accounts.currency, true, CURRENT_TIMESTAMP, 0, 0, 0, "
        ":genesis FROM funds JOIN accounts ON accounts.fund_id = funds.id"
    ).bindparams(name="存货（实物捐赠）", name_en="Inventory (gifts in kind)", genesis="0" * 64))


def downgrade() -> None:
    op.execute("DELETE FROM accounts WHERE chart_code = '1201'")
    with op.batch_alter_table("donations") as batch:
        batch.drop_column("valuation_basis")
        batch.drop_column("in_kind_description")
