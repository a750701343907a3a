"""Who may see and touch which accounts: the ledger's reading of the role rules."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy.orm import Session

from fundpool.auth.principal import Principal, require_admin_of, require_role
from fundpool.errors import Forbidden
from fundpool.ledger.models import Account
from fundpool.ledger.queries import CodeRange
from fundpool.pools.codes import subtree_bounds
from fundpool.pools.service import get_pool


def readable_range(viewer: Principal) -> CodeRange | None:
    """Auditors read every account; admins their subtree; foundations see funds later."""
    require_role(viewer, "admin", "auditor")
    if viewer.role == "auditor":
        return None
    return CodeRange(*subtree_bounds(viewer.pool_code, viewer.pool_level))


def require_readable(viewer: Principal, accounts: Iterable[Account]) -> None:
    accounts = list(accounts)
    if readable_range(viewer) is not None and not any(viewer.covers(a.pool.code) for a in accounts):
        raise Forbidden("these accounts are outside your scope (pool {own} and below)",
                        own=viewer.pool_code)


def require_writable(viewer: Principal, accounts: Iterable[tuple[str, Account]]) -> None:
    """Every account a write touches must lie in the admin's subtree; ``field`` names each."""
    for field, account in accounts:
        require_admin_of(viewer, account.pool.code, field)


def requested_range(session: Session, viewer: Principal, code: str | None) -> CodeRange | None:
    """The subtree a listing asked for (``within``), checked against what the viewer reads."""
    readable = readable_range(viewer)
    if code is None:
        return readable
    asked = subtree(session, code)
    if readable is not None and not viewer.covers(code):
        raise Forbidden("pool {code} is outside your scope (pool {own} and below)", "within",
                        code=code, own=viewer.pool_code)
    return asked


def subtree(session: Session, code: str, field: str = "within") -> CodeRange:
    """A pool's subtree as its range of codes (404 for an unknown pool); no scope check."""
    pool = get_pool(session, code, field=field)
    return CodeRange(*subtree_bounds(pool.code, pool.level_enum))


def export_subtree(session: Session, viewer: Principal,
                   code: str | None) -> tuple[str | None, CodeRange | None]:
    """The pool subtree a ledger export covers, as (code, range): the pool asked for (404
    when unknown), else an admin's own pool, else every pool (auditors, ``(None, None)``).
    Admins only inside their subtree; shared by the API's export and the console's."""
    readable = readable_range(viewer)
    code = code or (viewer.pool_code if readable is not None else None)
    within = subtree(session, code, field="pool") if code else None
    if readable is not None and not viewer.covers(code):
        raise Forbidden("pool {code} is outside your scope (pool {own} and below)", "pool",
                        code=code, own=viewer.pool_code)
    return code, within
