"""The needs register and the reserve pool of proposals: needs (and the survey imports
they may come from), proposals with the pools and beneficiary categories they serve.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)
CATEGORIES = ("'minimum_living_allowance', 'extreme_poverty', 'disability', "
              "'children_in_difficulty', 'left_behind_children', 'elderly_in_difficulty', "
              "'left_behind_women', 'single_mothers', 'general_residents'")


def upgrade() -> None:
    op.create_table(
        "need_import_jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("strict", sa.Boolean(), nullable=False),
        sa.Column("rows_total", ID, nullable=True),
        sa.Column("rows_done", ID, nullable=False),
        sa.Column("imported", ID, nullable=False),
        sa.Column("duplicates", ID, nullable=False),
        sa.Column("rejected", ID, nullable=False),
        sa.Column("message", sa.String(500), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("token_id", ID, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'checking', 'importing', 'done', 'stopped', 'failed')",
            name=op.f("ck_need_import_jobs_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_import_jobs")),
    )
    op.create_table(
        "needs",
        sa.Column("id", ID, nullable=False),
        sa.Column("pool_id", ID, nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("people", ID, nullable=False),
        sa.Column("urgency", sa.String(10), nullable=False),
        sa.Column("estimated_cost", ID, nullable=False),
        sa.Column("survey_date", sa.Date(), nullable=False),
        sa.Column("survey_ref", sa.String(60), nullable=True),
        sa.Column("note", sa.String(1000), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("import_job_id", ID, nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("status_changed_at", TIME, nullable=False),
        sa.CheckConstraint(f"category IN ({CATEGORIES})", name=op.f("ck_needs_category_known")),
        sa.CheckConstraint("urgency IN ('crisis', 'priority', 'routine')",
                           name=op.f("ck_needs_urgency_known")),
        sa.CheckConstraint("status IN ('open', 'matched', 'served', 'closed')",
                           name=op.f("ck_needs_status_known")),
        sa.CheckConstraint("people > 0", name=op.f("ck_needs_people_positive")),
        sa.CheckConstraint("estimated_cost > 0", name=op.f("ck_needs_cost_positive")),
        sa.ForeignKeyConstraint(["import_job_id"], ["need_import_jobs.id"],
                                name=op.f("fk_needs_import_job_id_need_import_jobs")),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"], name=op.f("fk_needs_pool_id_pools"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs")),
        sa.UniqueConstraint("pool_id", "survey_ref", name="uq_needs_pool_id_survey_ref"),
    )
    op.create_index(op.f("ix_needs_pool_id"), "needs", ["pool_id"])
    op.create_index("ix_needs_status_category", "needs", ["status", "category"])
    op.create_table(
        "proposals",
        sa.Column("id", ID, nullable=False),
        sa.Column("pool_id", ID, nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.String(4000), nullable=False),
        sa.Column("budget", ID, nullable=False),
        sa.Column("capacity", ID, nullable=False),
        sa.Column("duration_days", ID, nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("reviewed_by", sa.String(120), nullable=True),
        sa.Column("reviewed_at", TIME, nullable=True),
        sa.Column("rejection_reason", sa.String(500), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("status_changed_at", TIME, nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'in_reserve', 'rejected', 'matched', 'funded', "
            "'completed', 'withdrawn', 'expired')", name=op.f("ck_proposals_status_known")),
        sa.CheckConstraint("budget > 0", name=op.f("ck_proposals_budget_positive")),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_proposals_capacity_positive")),
        sa.CheckConstraint("duration_days > 0", name=op.f("ck_proposals_duration_positive")),
        sa.CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
                           name=op.f("ck_proposals_dates_in_order")),
        sa.CheckConstraint("status <> 'rejected' OR rejection_reason IS NOT NULL",
                           name=op.f("ck_proposals_rejection_has_reason")),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"],
                                name=op.f("fk_proposals_pool_id_pools"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    op.create_index(op.f("ix_proposals_pool_id"), "proposals", ["pool_id"])
    op.create_index("ix_proposals_status_pool_id", "proposals", ["status", "pool_id"])
    op.create_table(
        "proposal_areas",
        sa.Column("proposal_id", ID, nullable=False),
        sa.Column("pool_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"],
                                name=op.f("fk_proposal_areas_pool_id_pools"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"],
                                name=op.f("fk_proposal_areas_proposal_id_proposals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("proposal_id", "pool_id", name=op.f("pk_proposal_areas")),
    )
    op.create_index(op.f("ix_proposal_areas_pool_id"), "proposal_areas", ["pool_id"])
    op.create_table(
        "proposal_categories",
        sa.Column("proposal_id", ID, nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.CheckConstraint(f"category IN ({CATEGORIES})",
                           name=op.f("ck_proposal_categories_category_known")),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"],
                                name=op.f("fk_proposal_categories_proposal_id_proposals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("proposal_id", "category", name=op.f("pk_proposal_categories")),
    )
    op.create_index("ix_proposal_categories_category", "proposal_categories",
                    ["category", "proposal_id"])


def downgrade() -> None:
    op.drop_index("ix_proposal_categories_category", "proposal_categories")
    op.drop_table("proposal_categories")
    op.drop_index(op.f("ix_proposal_areas_pool_id"), "proposal_areas")
    op.drop_table("proposal_areas")
    op.drop_index("ix_proposals_status_pool_id", "proposals")
    op.drop_index(op.f("ix_proposals_pool_id"), "proposals")
    op.drop_table("proposals")
    op.drop_index("ix_needs_status_category", "needs")
    op.drop_index(op.f("ix_needs_pool_id"), "needs")
    op.drop_table("needs")
    op.drop_table("need_import_jobs")
