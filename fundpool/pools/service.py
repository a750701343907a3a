"""Creating, reading and closing pools, and querying a pool's subtree.

Pools are never deleted: history hangs off them. A pool is closed instead,
once every pool below it is closed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload, selectinload

from fundpool.audit.log import Actor, record
from fundpool.db import utcnow
from fundpool.errors import Conflict, InvalidInput, NotFound
from fundpool.funds.closing import close_books
from fundpool.funds.general import create_general_fund
from fundpool.funds.models import Fund
from fundpool.paging import Page, keyset_page
from fundpool.pools.codes import Level, check_code, check_placement, subtree_bounds
from fundpool.pools.models import Pool


@dataclass(frozen=True, slots=True)
class NewPool:
    code: str
    name: str
    level: Level
    parent_code: str | None = None
    name_en: str | None = None


def get_pool(session: Session, code: str, *, field: str = "code", lock: bool = False,
             with_children: bool = False) -> Pool:
    stmt = select(Pool).where(Pool.code == code)
    if with_children:
        stmt = stmt.options(selectinload(Pool.children))
    if lock:
        stmt = stmt.with_for_update(of=Pool).execution_options(populate_existing=True)
    pool = session.scalar(stmt)
    if pool is None:
        raise NotFound("there is no pool with code {code}", field, code=code)
    return pool


def create_pool(session: Session, actor: Actor, new: NewPool) -> Pool:
    """Add a pool under an open parent; the parent row is locked so it cannot close meanwhile."""
    check_code(new.code, new.level)
    parent = None
    if new.parent_code is not None:
        parent = get_pool(session, new.parent_code, field="parent_code", lock=True)
        if not parent.is_open:
            raise Conflict(f"parent pool {parent.code} is closed", "parent_code")
    check_placement(new.code, new.level, new.parent_code, parent.level_enum if parent else None)
    pool = Pool(code=new.code, name=new.name, name_en=new.name_en, level=new.level.value,
                parent=parent, children=[])
    session.add(pool)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"a pool with code {new.code} already exists", "code") from None
    create_general_fund(session, pool)
    record(session, actor, "pool.create", "pool", pool.code, name=new.name, level=new.level.value,
           parent_code=new.parent_code)
    return pool


def close_pool(session: Session, actor: Actor, code: str, reason: str | None = None) -> Pool:
    """Close a pool once every pool below it is closed and none of its funds holds anything.
    Its funds (its general fund 资金池 included) close with it, as a fund closes alone, so a
    closed pool takes no more gifts or allocations."""
    pool = get_pool(session, code, lock=True, with_children=True)
    if not pool.is_open:
        raise Conflict(f"pool {code} is already closed", "code")
    open_child = next((child.code for child in pool.children if child.is_open), None)
    if open_child is not None:
        raise Conflict(f"pool {code} still has open pools below it (e.g. {open_child}); "
                       "close those first", "code")
    now = utcnow()
    funds = session.scalars(select(Fund).where(Fund.pool_id == pool.id, Fund.closed_at.is_(None))
                            .order_by(Fund.id).with_for_update(of=Fund)
                            .options(lazyload(Fund.pool))  # the pool is in hand, locked
                            .execution_options(populate_existing=True)).all()
    close_books(session, funds, now)
    pool.closed_at = now
    record(session, actor, "pool.close", "pool", code, reason=reason,
           funds=[fund.code for fund in funds])
    return pool


def subtree(code: str, level: Level) -> Select:
    """Every pool in the subtree rooted at ``code``, itself included: one range scan."""
    low, high = subtree_bounds(code, level)
    return select(Pool).where(Pool.code.between(low, high))


def list_pools(session: Session, *, level: Level | None = None, parent_code: str | None = None,
               within: str | None = None, after: str | None = None, limit: int = 50) -> Page:
    stmt = select(Pool)
    if within is not None:
        root = get_pool(session, within, field="within")
        stmt = subtree(root.code, root.level_enum)
    if level is not None:
        stmt = stmt.where(Pool.level == level.value)
    if parent_code is not None:
        parent = get_pool(session, parent_code, field="parent")
        stmt = stmt.where(Pool.parent_id == parent.id)
    return keyset_page(session, stmt, Pool.code, after, limit)


def import_pools(session: Session, actor: Actor, rows: list[NewPool]) -> tuple[int, int]:
    """Create the pools not yet present, parents before children; return (created, kept).

    A row whose code exists with a different name or level is an error: an import
    never silently disagrees with what is recorded.
    """
    created = kept = 0
    for new in sorted(rows, key=lambda r: (r.level.depth, r.code)):
        existing = session.scalar(select(Pool).where(Pool.code == new.code))
        if existing is None:
            create_pool(session, actor, new)
            created += 1
        elif (existing.name, existing.level) != (new.name, new.level.value):
            raise InvalidInput(f"pool {new.code} exists as {existing.name} ({existing.level}), "
                               f"the file says {new.name} ({new.level.value})", "code")
        else:
            kept += 1
    return created, kept
