"""Pools, API tokens and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from fundpool.migrations.append_only import protect, unprotect

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pools",
        sa.Column("id", ID, nullable=False),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=True),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("closed_at", TIME, nullable=True),
        sa.CheckConstraint("(level = 'city') = (parent_id IS NULL)",
                           name=op.f("ck_pools_only_cities_are_roots")),
        sa.CheckConstraint("level IN ('city', 'district', 'street', 'community')",
                           name=op.f("ck_pools_level_known")),
        sa.ForeignKeyConstraint(["parent_id"], ["pools.id"], name=op.f("fk_pools_parent_id_pools"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pools")),
        sa.UniqueConstraint("code", name=op.f("uq_pools_code")),
    )
    op.create_index(op.f("ix_pools_parent_id"), "pools", ["parent_id"])

    op.create_table(
        "api_tokens",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("pool_id", ID, nullable=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.CheckConstraint("role <> 'admin' OR pool_id IS NOT NULL",
                           name=op.f("ck_api_tokens_admin_has_pool")),
        sa.CheckConstraint("role IN ('admin', 'foundation', 'auditor')",
                           name=op.f("ck_api_tokens_role_known")),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"], name=op.f("fk_api_tokens_pool_id_pools"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_tokens_secret_hash")),
    )
    op.create_index(op.f("ix_api_tokens_pool_id"), "api_tokens", ["pool_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("occurred_at", TIME, nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("token_id", ID, nullable=True),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target_type", sa.String(40), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"])
    protect("audit_events")


def downgrade() -> None:
    unprotect("audit_events")
    op.drop_table("audit_events")
    op.drop_table("api_tokens")
    op.drop_table("pools")
