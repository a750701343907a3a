"""Reading accounts, locking them in a fixed order, and opening one from the chart."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.errors import Conflict, NotFound
from fundpool.ledger.chart import open_fund_accounts
from fundpool.ledger.models import Account
from fundpool.ledger.money import check_currency


def get_account(session: Session, code: str, field: str = "account") -> Account:
    account = session.scalar(select(Account).where(Account.code == code))
    if account is None:
        raise NotFound(f"there is no account {code}", field)
    return account


def open_currency(session: Session, actor: Actor, fund, currency: str) -> list[Account]:
    """Open a fund's accounts in another currency (a donation in HKD stays in HKD). A closed
    fund takes no new money, so it opens none."""
    check_currency(currency)
    if not fund.is_open:
        raise Conflict("fund {fund} is closed", "code", fund=fund.code)
    made = open_fund_accounts(session, fund, currency)
    if not made:
        raise Conflict(f"fund {fund.code} already keeps accounts in {currency}", "currency")
    record(session, actor, "accounts.open", "fund", fund.code, currency=currency)
    return made
