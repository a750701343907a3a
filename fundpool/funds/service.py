"""Setting up, reading, restricting and closing funds.

Every pool has a general fund (资金池) whose code is the pool's own code, made with
the pool; its accounts are the pool's chart. Community, special and named funds
get codes that start with a letter (e.g. ``ELDER-440304001``) and the fund part of
the chart (see docs/ledger.md). A fund's spendable money is its 1002 account's
available balance, guarded by the ledger's no-overdraft rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.db import utcnow
from fundpool.errors import Conflict, InvalidInput, NotFound
from fundpool.funds.closing import close_books
from fundpool.funds.models import CATEGORIES, FUND_KINDS, Fund
from fundpool.ledger.chart import open_fund_accounts
from fundpool.ledger.money import check_minor
from fundpool.paging import Page, keyset_page
from fundpool.pools.codes import in_subtree
from fundpool.pools.models import Pool
from fundpool.pools.service import get_pool

FUND_CODE = re.compile(r"[A-Z][A-Z0-9-]{1,39}\Z")  # \Z: "$" also passes "X\n"


@dataclass(frozen=True, slots=True)
class Restriction:
    """What a restricted fund may pay for; empty parts mean no limit of that kind."""

    categories: tuple[str, ...] = ()
    area_codes: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    per_grant_limit: int | None = None

    @property
    def is_empty(self) -> bool:
        return self == Restriction()


@dataclass(frozen=True, slots=True)
class NewFund:
    code: str
    name: str
    kind: str
    pool_code: str
    restricted: bool
    named_for: str | None = None
    name_en: str | None = None
    restriction: Restriction = field(default_factory=Restriction)


def create_fund(session: Session, actor: Actor, new: NewFund) -> Fund:
    if not FUND_CODE.match(new.code):
        raise InvalidInput("a fund code is 2 to 40 capital letters, digits or hyphens, starting "
                           f"with a letter (e.g. ELDER-440304001); got {new.code!r}", "code")
    if new.kind not in FUND_KINDS or new.kind == "general":
        raise InvalidInput("kind must be community, special or named (each pool already has "
                           "its general fund)", "kind")
    if new.kind == "named" and not (new.named_for or "").strip():
        raise InvalidInput("a named fund (冠名基金) needs the donor it is named for", "named_for")
    pool = get_pool(session, new.pool_code, field="pool_code", lock=True)
    if not pool.is_open:
        raise Conflict(f"pool {pool.code} is closed", "pool_code")
    _check_restriction(session, pool, new.restricted, new.restriction)
    rule = new.restriction
    fund = Fund(code=new.code, name=new.name, name_en=new.name_en, pool=pool, kind=new.kind,
                restricted=new.restricted, named_for=new.named_for,
                categories=list(rule.categories), area_codes=list(rule.area_codes),
                valid_from=rule.valid_from, valid_to=rule.valid_to,
                per_grant_limit=rule.per_grant_limit)
    session.add(fund)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"a fund with code {new.code} already exists", "code") from None
    open_fund_accounts(session, fund)
    record(session, actor, "fund.create", "fund", fund.code, kind=new.kind,
           restricted=new.restricted, pool_code=pool.code)
    return fund


def _check_restriction(session: Session, pool: Pool, restricted: bool, rule: Restriction) -> None:
    if not restricted and not rule.is_empty:
        raise InvalidInput("an unrestricted fund has no restriction; set restricted to true",
                           "restricted")
    unknown = sorted(set(rule.categories) - set(CATEGORIES))
    if unknown:
        raise InvalidInput(f"unknown beneficiary categories: {', '.join(unknown)}; known: "
                           f"{', '.join(CATEGORIES)}", "restriction.categories")
    for code in rule.area_codes:
        area = get_pool(session, code, field="restriction.area_codes")
        if not in_subtree(area.code, pool.code, pool.level_enum):
            raise InvalidInput(f"area {code} is outside the fund's pool {pool.code}",
                               "restriction.area_codes")
    if rule.valid_from and rule.valid_to and rule.valid_from > rule.valid_to:
        raise InvalidInput("valid_from is after valid_to", "restriction.valid_to")
    if rule.per_grant_limit is not None:
        check_minor(rule.per_grant_limit, "restriction.per_grant_limit")


#: Built once: a statement made afresh for each call costs its construction and its cache key.
_BY_CODE = select(Fund).where(Fund.code == bindparam("code"))
_LOCKED_BY_CODE = _BY_CODE.with_for_update(of=Fund).execution_options(populate_existing=True)


def get_fund(session: Session, code: str, field: str = "fund", lock: bool = False) -> Fund:
    fund = session.scalar(_LOCKED_BY_CODE if lock else _BY_CODE, {"code": code})
    if fund is None:
        raise NotFound("there is no fund {code}", field, code=code)
    return fund


def list_funds(session: Session, *, low: str | None = None, high: str | None = None,
               kind: str | None = None, fund_ids: list[int] | None = None,
               after: int | None = None, limit: int = 50) -> Page:
    stmt = select(Fund).join(Fund.pool)
    if low is not None:
        stmt = stmt.where(Pool.code.between(low, high))
    if kind is not None:
        stmt = stmt.where(Fund.kind == kind)
    if fund_ids is not None:
        stmt = stmt.where(Fund.id.in_(fund_ids))
    return keyset_page(session, stmt, Fund.id, after, limit)


def update_restriction(session: Session, actor: Actor, code: str, rule: Restriction,
                       name_en: str | None = None) -> Fund:
    """Change what a restricted fund may pay for; money is not touched."""
    fund = get_fund(session, code, "code", lock=True)
    if not fund.restricted:
        raise Conflict(f"fund {code} is unrestricted; it has no restriction to change", "code")
    _check_restriction(session, fund.pool, True, rule)
    before = {"categories": fund.categories, "area_codes": fund.area_codes,
              "valid_from": str(fund.valid_from), "valid_to": str(fund.valid_to),
              "per_grant_limit": fund.per_grant_limit}
    fund.categories, fund.area_codes = list(rule.categories), list(rule.area_codes)
    fund.valid_from, fund.valid_to = rule.valid_from, rule.valid_to
    fund.per_grant_limit = rule.per_grant_limit
    record(session, actor, "fund.restrict", "fund", code, before=before)
    return fund


def close_fund(session: Session, actor: Actor, code: str) -> Fund:
    """Close a fund that holds nothing any more (closing.py says what that means: its
    money moved out, its income and net assets stay as history)."""
    fund = get_fund(session, code, "code", lock=True)
    if fund.kind == "general":
        raise Conflict("a pool's general fund closes with its pool", "code")
    if not fund.is_open:
        raise Conflict(f"fund {code} is already closed", "code")
    close_books(session, [fund], utcnow())
    record(session, actor, "fund.close", "fund", code)
    return fund
