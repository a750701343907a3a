"""Closing a fund's books: shared by closing a fund and closing a pool with its funds.

A fund may close once it holds nothing: its money and what it owes — the asset and
liability accounts (bank 1002, clearing 1009, goods 1201, entrusted 1701 / 2601, payables
2209) — are at zero and nothing is held on any account. Its income, costs and net assets
(4101xx, 4901, 5101, 5201, 31xx) are its history: no allocation can move them, so they stay
as they are, and only the year-end close still posts to them (docs/year-end.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fundpool.errors import Conflict
from fundpool.funds.models import Fund
from fundpool.ledger.locking import Locked, lock
from fundpool.ledger.models import Account
from fundpool.ledger.money import format_amount

#: The account types that hold the fund's money or what it owes.
MONEY_TYPES = ("asset", "liability")


def close_books(session: Session, funds: list[Fund], now: datetime, field: str = "code") -> None:
    """Refuse if any of the funds (rows already locked) still holds anything, else close
    them and all their accounts. The accounts are locked for the check, so no posting slips
    in between; a posting that waited on them finds them closed. They are locked in one
    call, in the ledger's one order (``locking.lock``), as every posting locks them: fund by
    fund, a pool's close could deadlock with an allocation between two of its funds."""
    by_id = {fund.id: fund for fund in funds}
    rows = session.execute(select(Account.code, Account.fund_id)
                           .where(Account.fund_id.in_(by_id))).all()
    owner = dict(rows)
    for account in lock(session, list(owner)).values():
        _refuse_if_holding(by_id[owner[account.code]], account, field)
    for fund in funds:
        fund.closed_at = now
    session.execute(update(Account).where(Account.fund_id.in_(by_id)).values(closed_at=now))


def _refuse_if_holding(fund: Fund, account: Locked, field: str) -> None:
    if account.pending:
        raise Conflict("fund {fund} has {amount} {currency} held on {account}; commit or void "
                       "the hold first", field, fund=fund.code, account=account.code,
                       amount=format_amount(account.pending, account.currency),
                       currency=account.currency)
    if account.type in MONEY_TYPES and account.balance:
        raise Conflict("fund {fund} still has money in {account} ({amount} {currency}); move "
                       "it out first (an allocation, a payment or a refund)", field,
                       fund=fund.code, account=account.code,
                       amount=format_amount(account.balance, account.currency),
                       currency=account.currency)
