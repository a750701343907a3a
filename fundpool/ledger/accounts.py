"""Reading accounts, locking them in a fixed order, and opening one from the chart."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.errors import Conflict, NotFound
from fundpool.ledger.chart import open_pool_accounts
from fundpool.ledger.models import Account
from fundpool.ledger.money import check_currency
from fundpool.pools.models import Pool


def get_account(session: Session, code: str, field: str = "account") -> Account:
    account = session.scalar(select(Account).where(Account.code == code))
    if account is None:
        raise NotFound(f"there is no account {code}", field)
    return account


def open_currency(session: Session, actor: Actor, pool: Pool, currency: str) -> list[Account]:
    """Open the pool's whole chart in another currency (a donation in HKD stays in HKD)."""
    check_currency(currency)
    made = open_pool_accounts(session, pool, currency)
    if not made:
        raise Conflict(f"pool {pool.code} already keeps accounts in {currency}", "currency")
    record(session, actor, "accounts.open", "pool", pool.code, currency=currency)
    return made
