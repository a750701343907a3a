"""Allocations: moving money between funds up and down the hierarchy.

The target's pool must lie on the source's line of descent (below it, above it,
or the same pool). Restricted money keeps its restriction: it may only land in a
restricted fund whose restriction is the same or narrower (categories a subset,
area inside, validity inside). The sending fund's 1002 account is no-overdraft,
so the ledger refuses to send money the fund does not have.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.errors import Conflict, InsufficientFunds, InvalidInput, NotFound
from fundpool.funds.models import Allocation, Fund
from fundpool.ledger.chart import account_code
from fundpool.ledger.posting import post_entry
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.paging import Page, keyset_page
from fundpool.pools.codes import in_subtree
from fundpool.pools.models import Pool


def allocate(session: Session, actor: Actor, source: Fund, target: Fund, amount: int,
             currency: str, effective_date: date, memo: str) -> Allocation:
    direction = _direction(source, target)
    for fund, field in ((source, "source_fund"), (target, "target_fund")):
        if not fund.is_open:
            raise Conflict(f"fund {fund.code} is closed", field)
    if source.restricted:
        _check_keeps_restriction(source, target)
    try:
        entry = post_entry(session, actor, NewEntry(
            kind="return" if direction == "up" else "allocation", effective_date=effective_date,
            memo=memo or f"{source.code} → {target.code}",
            lines=(Line(account_code(target.code, "1002", currency), Side.DEBIT, amount),
                   Line(account_code(source.code, "1002", currency), Side.CREDIT, amount))))
    except InsufficientFunds as exc:
        raise exc.naming("amount") from None
    except NotFound as exc:  # line 0 is the target's bank account, line 1 the source's
        fund = target if exc.field == "postings.0.account" else source
        raise InvalidInput("fund {fund} keeps no {currency} accounts; open them first",
                           "currency", fund=fund.code, currency=currency) from None
    allocation = Allocation(source_fund_id=source.id, target_fund_id=target.id, amount=amount,
                            currency=currency, direction=direction, memo=memo, entry_id=entry.id)
    session.add(allocation)
    session.flush()
    record(session, actor, "allocation.create", "allocation", allocation.id,
           source=source.code, target=target.code, amount=amount, currency=currency)
    return allocation


def _direction(source: Fund, target: Fund) -> str:
    if source.id == target.id:
        raise InvalidInput("an allocation moves money to another fund", "target_fund")
    low, high = source.pool, target.pool
    if low.code == high.code:
        return "across"
    if in_subtree(high.code, low.code, low.level_enum):
        return "down"
    if in_subtree(low.code, high.code, high.level_enum):
        return "up"
    raise InvalidInput(f"{target.code} is in pool {high.code}, which is neither above nor below "
                       f"{low.code}; allocations move money up or down the hierarchy",
                       "target_fund")


def _area(fund: Fund) -> list[str]:
    return fund.area_codes or [fund.pool.code]


def _check_keeps_restriction(source: Fund, target: Fund) -> None:
    def refuse(why: str) -> None:
        raise InvalidInput(f"restricted money of {source.code} cannot go to {target.code}: {why}",
                           "target_fund")

    if not target.restricted:
        refuse("the target is unrestricted")
    if source.categories and not (target.categories and
                                  set(target.categories) <= set(source.categories)):
        refuse("the target may serve categories the source does not allow")
    source_areas, target_areas = _area(source), _area(target)
    if not all(any(target_area.startswith(_prefix(area)) for area in source_areas)
               for target_area in target_areas):
        refuse("the target serves areas outside the source's")
    if source.valid_from and (not target.valid_from or target.valid_from < source.valid_from):
        refuse("the target may spend before the source's validity starts")
    if source.valid_to and (not target.valid_to or target.valid_to > source.valid_to):
        refuse("the target may spend after the source's validity ends")
    if source.per_grant_limit and (not target.per_grant_limit
                                   or target.per_grant_limit > source.per_grant_limit):
        refuse("the target's per-grant limit is higher than the source's")


def _prefix(code: str) -> str:
    """A subtree's code prefix (a city's is its first four digits)."""
    return code[:4] if len(code) == 6 and code.endswith("00") else code


def list_allocations(session: Session, *, fund_id: int | None = None,
                     fund_ids: list[int] | None = None, low: str | None = None,
                     high: str | None = None, after: int | None = None,
                     limit: int = 50) -> Page:
    """Allocations from or to a fund (``fund_id``), from or to any of ``fund_ids`` (a
    foundation's), and from or to a fund in the pools ``low``..``high`` (a subtree's codes):
    each filter given narrows the list; an allocation touches a set when either end is in it."""
    stmt = select(Allocation)
    if fund_id is not None:
        stmt = stmt.where(_touching([fund_id]))
    if fund_ids is not None:
        stmt = stmt.where(_touching(fund_ids))
    if low is not None:
        stmt = stmt.where(_touching(select(Fund.id).join(Fund.pool)
                                    .where(Pool.code.between(low, high))))
    return keyset_page(session, stmt, Allocation.id, after, limit)


def _touching(fund_ids: list[int] | Select) -> ColumnElement[bool]:
    return or_(Allocation.source_fund_id.in_(fund_ids), Allocation.target_fund_id.in_(fund_ids))
