"""Who may read which fund or pool report: the read rules the API and the console share.

Auditors read every pool and fund; admins their pool's subtree; foundations only the funds
granted to their token (a console user's identity token, so the same grants apply).
Plain values and a session, no Flask: each caller turns the Forbidden into its own answer.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.auth.principal import Principal, require_role
from fundpool.errors import Forbidden
from fundpool.funds.models import Fund, FundGrant


def granted_fund_ids(session: Session, viewer: Principal) -> list[int]:
    """The ids of the funds granted to ``viewer``'s token."""
    return list(session.scalars(select(FundGrant.fund_id).where(
        FundGrant.token_id == viewer.token_id)))


def require_granted(session: Session, viewer: Principal, fund: Fund,
                    field: str | None = None) -> None:
    """A foundation reads a fund only once it has been granted to its token."""
    if fund.id not in granted_fund_ids(session, viewer):
        raise Forbidden("fund {fund} has not been granted to your foundation token", field,
                        fund=fund.code)


def require_fund_reader(session: Session, viewer: Principal, fund: Fund, field: str) -> None:
    """A fund's reports (statement, balances, where its money went): auditors any fund,
    foundations the funds granted to them, admins the funds of pools in their subtree."""
    if viewer.role == "foundation":
        require_granted(session, viewer, fund, field)
    elif viewer.role == "admin" and not viewer.covers(fund.pool.code):
        raise Forbidden("fund {fund} is outside your scope (pool {own} and below)", field,
                        fund=fund.code, own=viewer.pool_code)


def require_pool_reader(viewer: Principal, code: str, field: str = "pool") -> None:
    """A pool's reports (trial balance, activity statement): auditors any pool, admins
    their subtree, foundations none."""
    require_role(viewer, "admin", "auditor")
    if viewer.role == "admin" and not viewer.covers(code):
        raise Forbidden("pool {code} is outside your scope (pool {own} and below)", field,
                        code=code, own=viewer.pool_code)
