"""Matching runs and what they propose: matches, the needs each serves, each fund's share;
an approved match's current hold and what it has paid.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "matching_runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("trigger", sa.String(10), nullable=False),
        sa.Column("triggered_by", sa.String(120), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("needs_seen", ID, nullable=False),
        sa.Column("proposals_seen", ID, nullable=False),
        sa.Column("funds_seen", ID, nullable=False),
        sa.Column("objective", sa.Float(), nullable=True),
        sa.Column("bound", sa.Float(), nullable=True),
        sa.Column("gap", sa.Float(), nullable=True),
        sa.Column("method", sa.String(20), nullable=True),
        sa.Column("optimal", sa.Boolean(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("message", sa.String(500), nullable=True),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')",
                           name=op.f("ck_matching_runs_status_known")),
        sa.CheckConstraint("trigger IN ('schedule', 'person')",
                           name=op.f("ck_matching_runs_trigger_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_runs")),
    )
    op.create_table(
        "run_matches",
        sa.Column("id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("proposal_id", ID, nullable=False),
        sa.Column("people", ID, nullable=False),
        sa.Column("budget", ID, nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("decided_at", TIME, nullable=True),
        sa.Column("rejection_reason", sa.String(500), nullable=True),
        sa.Column("hold_id", ID, nullable=True),
        sa.Column("paid", ID, nullable=False),
        sa.CheckConstraint("status IN ('proposed', 'approved', 'rejected', 'superseded', "
                           "'completed', 'cancelled')",
                           name=op.f("ck_run_matches_status_known")),
        sa.CheckConstraint("paid >= 0", name=op.f("ck_run_matches_paid_not_negative")),
        sa.ForeignKeyConstraint(["run_id"], ["matching_runs.id"],
                                name=op.f("fk_run_matches_run_id_matching_runs")),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"],
                                name=op.f("fk_run_matches_proposal_id_proposals")),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"],
                                name=op.f("fk_run_matches_hold_id_holds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_matches")),
    )
    op.create_index(op.f("ix_run_matches_run_id"), "run_matches", ["run_id"])
    op.create_index("ix_run_matches_proposal_id_status", "run_matches",
                    ["proposal_id", "status"])
    op.create_table(
        "run_match_needs",
        sa.Column("match_id", ID, nullable=False),
        sa.Column("need_id", ID, nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["match_id"], ["run_matches.id"],
                                name=op.f("fk_run_match_needs_match_id_run_matches")),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"],
                                name=op.f("fk_run_match_needs_need_id_needs")),
        sa.PrimaryKeyConstraint("match_id", "need_id", name=op.f("pk_run_match_needs")),
    )
    op.create_index(op.f("ix_run_match_needs_need_id"), "run_match_needs", ["need_id"])
    op.create_table(
        "run_shares",
        sa.Column("match_id", ID, nullable=False),
        sa.Column("position", ID, nullable=False),
        sa.Column("fund_id", ID, nullable=False),
        sa.Column("amount", ID, nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_run_shares_amount_positive")),
        sa.ForeignKeyConstraint(["match_id"], ["run_matches.id"],
                                name=op.f("fk_run_shares_match_id_run_matches")),
        sa.ForeignKeyConstraint(["fund_id"], ["funds.id"],
                                name=op.f("fk_run_shares_fund_id_funds")),
        sa.PrimaryKeyConstraint("match_id", "position", name=op.f("pk_run_shares")),
    )
    op.create_index(op.f("ix_run_shares_fund_id"), "run_shares", ["fund_id"])


def downgrade() -> None:
    for index, table in (("ix_run_shares_fund_id", "run_shares"),
                         ("ix_run_match_needs_need_id", "run_match_needs"),
                         ("ix_run_matches_proposal_id_status", "run_matches"),
                         ("ix_run_matches_run_id", "run_matches")):
        op.drop_index(index, table_name=table)
    for table in ("run_shares", "run_match_needs", "run_matches", "matching_runs"):
        op.drop_table(table)
