"""Money for an approved project: held at approval, paid out in instalments.

At approval each paying fund's share is held on its bank account (1002): one hold
whose legs commit or void together, so the money stops counting as available but
has not moved. Each instalment, dated within the validity of every restricted fund it
draws on (else InvalidInput on ``effective_date``), then posts, in the caller's transaction:

1. the grant (kind ``grant``): Dr 5101 业务活动成本 of the fund / Cr 2209 其他应付款 of
   the fund's pool — the cost is recognised and owed to the project; for a
   restricted fund also the release of its restriction, Dr 410102 / Cr 410101 (from
   the year's restricted income; what that no longer holds, from net assets,
   Dr 3102 / Cr 3101; never more than the two hold), as 民间非营利组织会计制度
   requires when restricted money is spent on its purpose;
2. the payment (kind ``disbursement``): the hold is committed for the instalment,
   Dr 2209 / Cr 1002, which releases the held amount as the money leaves the bank;
3. a new hold for what is still to be paid, if anything.

So at every moment the project's unpaid share is held, the payable is zero between
instalments, and every step is a balanced entry. Voiding the hold releases the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from fundpool.audit.log import Actor
from fundpool.errors import InvalidInput
from fundpool.funds.models import Fund
from fundpool.ledger import holds
from fundpool.ledger.balances import current
from fundpool.ledger.chart import account_code
from fundpool.ledger.models import Hold
from fundpool.ledger.posting import PostedEntry, post_entry
from fundpool.ledger.values import Line, NewEntry, Side

CURRENCY = "CNY"


@dataclass(frozen=True, slots=True)
class Portion:
    """One fund's part of a grant (CNY fen)."""

    fund: Fund
    amount: int


@dataclass(frozen=True, slots=True)
class Instalment:
    grant: PostedEntry
    payment: PostedEntry
    rest: Hold | None  # the hold for what is still to be paid


def bank(fund: Fund) -> str:
    return account_code(fund.code, "1002", CURRENCY)


def payable(fund: Fund) -> str:
    """2209 is kept by the pool (its general fund, whose code is the pool's)."""
    return account_code(fund.pool.code, "2209", CURRENCY)


def hold_grant(session: Session, actor: Actor, portions: list[Portion], memo: str,
               expires_at: datetime | None = None) -> Hold:
    """Hold every portion on its fund's bank account, as one unit."""
    return holds.create_hold(session, actor, [
        holds.NewLeg(bank(p.fund), payable(p.fund), p.amount) for p in portions],
        kind="disbursement", memo=memo, expires_at=expires_at)


def pay_instalment(session: Session, actor: Actor, hold_id: int, amounts: list[int],
                   effective_date: date, memo: str) -> Instalment:
    """Pay ``amounts`` (one per leg, in leg order, each at most what the leg holds) and
    hold the rest again."""
    hold = holds.get_hold(session, hold_id, lock=True)
    funds = [session.get(Fund, leg.account.fund_id) for leg in hold.legs]
    if len(amounts) != len(hold.legs):
        raise InvalidInput(f"the grant is held on {len(hold.legs)} funds; give one amount each",
                           "amounts")
    if not any(amounts):
        raise InvalidInput("an instalment pays something", "amounts")
    for fund, amount in zip(funds, amounts):
        if amount:
            _check_valid_on(fund, effective_date)
    rest = [(fund, leg.amount - amount) for fund, leg, amount in zip(funds, hold.legs, amounts)]
    grant = post_entry(session, actor, NewEntry(
        kind="grant", effective_date=effective_date, memo=memo[:500],
        lines=tuple(line for fund, amount in zip(funds, amounts) if amount
                    for line in _grant_lines(session, fund, amount))))
    payment = holds.commit_hold(session, actor, hold_id, effective_date, amounts, memo[:500])
    left = [Portion(fund, amount) for fund, amount in rest if amount > 0]
    again = hold_grant(session, actor, left, hold.memo, hold.expires_at) if left else None
    return Instalment(grant, payment, again)


def _check_valid_on(fund: Fund, day: date) -> None:
    """A restricted fund spends only within its validity: the donor's restriction says when
    the money may be used, and the run and the approval looked at other days (a run may be
    asked for a later day; an instalment may be dated back)."""
    if (fund.valid_from and day < fund.valid_from) or (fund.valid_to and day > fund.valid_to):
        raise InvalidInput("fund {fund} may pay from {start} to {end}; {day} is outside",
                           "effective_date", fund=fund.code, start=fund.valid_from or "…",
                           end=fund.valid_to or "…", day=day)


def _grant_lines(session: Session, fund: Fund, amount: int) -> list[Line]:
    """Dr 5101 / Cr 2209, and for a restricted fund the release of as much restriction as
    the spending uses up — never more than the fund holds restricted: its restricted
    income (410102) first, then its restricted net assets (3102, after a year-end). Money
    that reached the fund by allocation was never restricted income of this fund, so it
    releases nothing here; releasing it anyway would drive 3102 below zero and put money
    that was never restricted into 3101."""
    lines = [Line(account_code(fund.code, "5101", CURRENCY), Side.DEBIT, amount),
             Line(payable(fund), Side.CREDIT, amount)]
    if not fund.restricted:
        return lines
    left = amount
    for restricted, unrestricted in (("410102", "410101"), ("3102", "3101")):
        held = account_code(fund.code, restricted, CURRENCY)
        released = max(0, min(left, current(session, held).balance))
        if released:
            lines += [Line(held, Side.DEBIT, released),
                      Line(account_code(fund.code, unrestricted, CURRENCY), Side.CREDIT,
                           released)]
            left -= released
    return lines


def void_grant(session: Session, actor: Actor, hold_id: int) -> Hold:
    """Release whatever is still held for the project (rejected, withdrawn, lapsed)."""
    return holds.void_hold(session, actor, hold_id)
