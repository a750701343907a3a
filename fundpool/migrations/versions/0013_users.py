"""Console user accounts, each acting through an identity row in api_tokens.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("identity_id", ID, nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("invite_hash", sa.String(64), nullable=True),
        sa.Column("invite_expires_at", TIME, nullable=True),
        sa.Column("session_epoch", ID, nullable=False),
        sa.Column("failed_sign_ins", ID, nullable=False),
        sa.Column("locked_until", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.ForeignKeyConstraint(["identity_id"], ["api_tokens.id"],
                                name=op.f("fk_users_identity_id_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
        sa.UniqueConstraint("identity_id", name=op.f("uq_users_identity_id")),
        sa.UniqueConstraint("invite_hash", name=op.f("uq_users_invite_hash")),
    )


def downgrade() -> None:
    op.drop_table("users")
