"""The needs register (需求) and the reserve pool of project proposals (公益项目储备库).

A need is one surveyed group of people in one community; a proposal is a project an
organisation offers to run, with the pools it serves (``proposal_areas``) and the
beneficiary categories it serves (``proposal_categories``). Amounts are CNY fen.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundpool.db import Base, utcnow
from fundpool.funds.models import CATEGORIES
from fundpool.pools.models import Pool

URGENCIES = ("crisis", "priority", "routine")  # the three-level response scale (三级响应)
URGENCY_NAMES_ZH = dict(zip(URGENCIES, ("危机", "优先", "常规")))
NEED_STATUSES = ("open", "matched", "served", "closed")
PROPOSAL_STATUSES = ("draft", "submitted", "in_reserve", "rejected", "matched", "funded",
                     "completed", "withdrawn", "expired")
IMPORT_STATUSES = ("queued", "checking", "importing", "done", "stopped", "failed")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Need(Base):
    __tablename__ = "needs"
    __table_args__ = (
        CheckConstraint(_one_of("category", CATEGORIES), name="category_known"),
        CheckConstraint(_one_of("urgency", URGENCIES), name="urgency_known"),
        CheckConstraint(_one_of("status", NEED_STATUSES), name="status_known"),
        CheckConstraint("people > 0", name="people_positive"),
        CheckConstraint("estimated_cost > 0", name="cost_positive"),
        UniqueConstraint("pool_id", "survey_ref", name="uq_needs_pool_id_survey_ref"),
        Index("ix_needs_status_category", "status", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="RESTRICT"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    people: Mapped[int]
    urgency: Mapped[str] = mapped_column(String(10))
    estimated_cost: Mapped[int]  # CNY fen
    survey_date: Mapped[date] = mapped_column(Date)
    survey_ref: Mapped[str | None] = mapped_column(String(60))  # the survey's own number
    note: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    import_job_id: Mapped[int | None] = mapped_column(ForeignKey("need_import_jobs.id"))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    pool: Mapped[Pool] = relationship(lazy="joined")


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(_one_of("status", PROPOSAL_STATUSES), name="status_known"),
        CheckConstraint("budget > 0", name="budget_positive"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("duration_days > 0", name="duration_positive"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
                        name="dates_in_order"),
        CheckConstraint("status <> 'rejected' OR rejection_reason IS NOT NULL",
                        name="rejection_has_reason"),
        Index("ix_proposals_status_pool_id", "status", "pool_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The reserve pool it sits in: the lowest pool whose subtree holds every area served.
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="RESTRICT"), index=True)
    organisation: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(4000), default="")
    budget: Mapped[int]  # CNY fen
    capacity: Mapped[int]  # people
    duration_days: Mapped[int]
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    submitted_on: Mapped[date | None] = mapped_column(Date)
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    pool: Mapped[Pool] = relationship(lazy="joined")
    areas: Mapped[list[ProposalArea]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ProposalArea.pool_id")
    category_rows: Mapped[list[ProposalCategory]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ProposalCategory.category")

    @property
    def area_codes(self) -> list[str]:
        return sorted(area.pool_code for area in self.areas)

    @property
    def categories(self) -> list[str]:
        return [row.category for row in self.category_rows]


class ProposalArea(Base):
    """A pool a proposal serves; a street serves all its communities."""

    __tablename__ = "proposal_areas"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"),
                                             primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="RESTRICT"),
                                         primary_key=True, index=True)

    pool: Mapped[Pool] = relationship(lazy="joined")

    @property
    def pool_code(self) -> str:
        return self.pool.code


class ProposalCategory(Base):
    """A beneficiary category a proposal serves."""

    __tablename__ = "proposal_categories"
    __table_args__ = (CheckConstraint(_one_of("category", CATEGORIES), name="category_known"),
                      Index("ix_proposal_categories_category", "category", "proposal_id"))

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"),
                                             primary_key=True)
    category: Mapped[str] = mapped_column(String(30), primary_key=True)


class NeedImportJob(Base):
    """A survey file being imported into the needs register: progress, then the report."""

    __tablename__ = "need_import_jobs"
    __table_args__ = (CheckConstraint(_one_of("status", IMPORT_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    file_name: Mapped[str] = mapped_column(String(200))
    strict: Mapped[bool]
    rows_total: Mapped[int | None]
    rows_done: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(String(500))
    report: Mapped[dict | None] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120))
    token_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
