"""What a matching run proposed, and what became of each proposal: the records.

A run is kept whole — its trigger, the size of what it saw, the objective, bound
and gap — with every match it proposed: the needs served, each fund's share, and
the reasons as codes with parameters. A run moves no money. An approved match is
a grant: its money is held (``hold_id``, the current hold for what is still to be
paid) and paid out in instalments (``paid``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundpool.db import Base, utcnow
from fundpool.funds.models import Fund
from fundpool.matching.models import Need, Proposal

RUN_STATUSES = ("running", "done", "failed")
MATCH_STATUSES = ("proposed", "approved", "rejected", "superseded", "completed", "cancelled")
TRIGGERS = ("schedule", "person")


class MatchingRun(Base):
    __tablename__ = "matching_runs"
    __table_args__ = (
        CheckConstraint(f"status IN {RUN_STATUSES!r}", name="status_known"),
        CheckConstraint(f"trigger IN {TRIGGERS!r}", name="trigger_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(String(10))
    triggered_by: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    needs_seen: Mapped[int] = mapped_column(default=0)
    proposals_seen: Mapped[int] = mapped_column(default=0)
    funds_seen: Mapped[int] = mapped_column(default=0)
    objective: Mapped[float | None] = mapped_column(Float)
    bound: Mapped[float | None] = mapped_column(Float)
    gap: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str | None] = mapped_column(String(20))
    optimal: Mapped[bool | None]
    seconds: Mapped[float | None] = mapped_column(Float)
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(String(500))

    #: Loaded only when asked for: a city's run has thousands, serving ~100,000 needs; the
    #: API and the console read them a page at a time (``overview.run_matches``).
    matches: Mapped[list[RunMatch]] = relationship(back_populates="run", order_by="RunMatch.id")


class RunMatch(Base):
    __tablename__ = "run_matches"
    __table_args__ = (
        CheckConstraint(f"status IN {MATCH_STATUSES!r}", name="status_known"),
        CheckConstraint("paid >= 0", name="paid_not_negative"),
        Index("ix_run_matches_proposal_id_status", "proposal_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("matching_runs.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    people: Mapped[int]
    budget: Mapped[int]  # CNY fen, the proposal's budget when the run saw it
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"))
    paid: Mapped[int] = mapped_column(default=0)

    run: Mapped[MatchingRun] = relationship(back_populates="matches")
    proposal: Mapped[Proposal] = relationship(lazy="joined")
    needs: Mapped[list[RunMatchNeed]] = relationship(order_by="RunMatchNeed.need_id",
                                                     lazy="selectin")
    shares: Mapped[list[RunShare]] = relationship(order_by="RunShare.position", lazy="selectin")


class RunMatchNeed(Base):
    __tablename__ = "run_match_needs"

    match_id: Mapped[int] = mapped_column(ForeignKey("run_matches.id"), primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), primary_key=True, index=True)
    reasons: Mapped[list] = mapped_column(JSON, default=list)

    need: Mapped[Need] = relationship(lazy="joined")


class RunShare(Base):
    """One fund's share of a match; ``position`` is its leg in the grant's hold."""

    __tablename__ = "run_shares"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    match_id: Mapped[int] = mapped_column(ForeignKey("run_matches.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    amount: Mapped[int]
    reasons: Mapped[list] = mapped_column(JSON, default=list)

    fund: Mapped[Fund] = relationship(lazy="joined")
