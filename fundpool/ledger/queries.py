"""Listing accounts and entries with filters, a keyset page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from fundpool.ledger.models import Account, Entry, Posting
from fundpool.paging import Page, keyset_page
from fundpool.pools.models import Pool


@dataclass(frozen=True, slots=True)
class CodeRange:
    """A pool subtree as its inclusive range of division codes."""

    low: str
    high: str


def list_accounts(session: Session, *, within: CodeRange | None = None, pool_code: str | None = None,
                  chart_code: str | None = None, currency: str | None = None,
                  after: int | None = None, limit: int = 50) -> Page:
    stmt = select(Account).join(Account.pool)
    if within is not None:
        stmt = stmt.where(Pool.code.between(within.low, within.high))
    if pool_code is not None:
        stmt = stmt.where(Pool.code == pool_code)
    if chart_code is not None:
        stmt = stmt.where(Account.chart_code == chart_code)
    if currency is not None:
        stmt = stmt.where(Account.currency == currency)
    return keyset_page(session, stmt, Account.id, after, limit)


def touches(within: CodeRange):
    """An entry has a posting on an account of a pool in the range."""
    return exists().where(Posting.entry_id == Entry.id, Posting.account_id == Account.id,
                          Account.pool_id == Pool.id, Pool.code.between(within.low, within.high))


def list_entries(session: Session, *, within: CodeRange | None = None,
                 account_id: int | None = None, kind: str | None = None,
                 date_from: date | None = None, date_to: date | None = None,
                 after: int | None = None, limit: int = 50) -> Page:
    stmt = select(Entry)
    if within is not None:
        stmt = stmt.where(touches(within))
    if account_id is not None:
        stmt = stmt.where(exists().where(Posting.entry_id == Entry.id,
                                         Posting.account_id == account_id))
    if kind is not None:
        stmt = stmt.where(Entry.kind == kind)
    if date_from is not None:
        stmt = stmt.where(Entry.effective_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(Entry.effective_date <= date_to)
    return keyset_page(session, stmt, Entry.id, after, limit)
