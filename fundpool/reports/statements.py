"""A fund's statement for a date range: its spendable money, 1002 银行存款, per currency.

For each currency the fund keeps a 1002 account in: the opening balance (entries dated
before ``date_from``), every posting dated in the range in effective-date order then
recording order (the account's sequence), each with its counterparty and the running
balance, the closing balance (= opening + movements) and what is held on it now.

Counterparty: a donation's donor by display name (匿名捐赠人 for anonymous donors, as the
donations API shows them; an imported batch of several gifts in one entry by its memo), the
same for a refund; an allocation's other fund; a grant
payment's project (the proposal title, through the grant's hold and its match); else
the entry's memo. Money arriving through a platform sits in 1009 until it reaches the
bank, and pass-through gifts in 1701; neither is on this statement (docs/reports.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundpool.donations.models import Donation
from fundpool.funds.models import Allocation, Fund
from fundpool.ledger.balances import balance_as_of
from fundpool.ledger.models import Account, Entry, Hold, Posting
from fundpool.matching.run_models import RunMatch

SPENDABLE = "1002"
_MATCH = re.compile(r"match (\d+)\)?$")
_REFUND = re.compile(r"^refund of donation (\d+):")


@dataclass(frozen=True, slots=True)
class Movement:
    entry_id: int
    date: date
    kind: str
    counterparty: str
    memo: str
    amount: int  # + money in, − money out
    balance: int  # running, after this movement


@dataclass(slots=True)
class CurrencyStatement:
    currency: str
    account: str
    opening: int
    closing: int
    held: int
    movements: list[Movement] = field(default_factory=list)


@dataclass(slots=True)
class FundStatement:
    fund: Fund
    date_from: date
    date_to: date
    currencies: list[CurrencyStatement]


def statement(session: Session, fund: Fund, date_from: date, date_to: date) -> FundStatement:
    accounts = session.scalars(select(Account).where(
        Account.fund_id == fund.id, Account.chart_code == SPENDABLE).order_by(Account.currency))
    return FundStatement(fund, date_from, date_to,
                         [_for_account(session, fund, account, date_from, date_to)
                          for account in accounts])


def _for_account(session: Session, fund: Fund, account: Account, date_from: date,
                 date_to: date) -> CurrencyStatement:
    opening = balance_as_of(session, account, date_from - timedelta(days=1))
    rows = session.execute(
        select(Posting.side, Posting.amount, Entry.id, Entry.effective_date, Entry.kind,
               Entry.memo, Entry.hold_id)
        .join(Entry, Entry.id == Posting.entry_id)
        .where(Posting.account_id == account.id,
               Posting.effective_date.between(date_from, date_to))
        .order_by(Posting.effective_date, Posting.account_seq)).all()
    names = _counterparties(session, fund, [row[2:] for row in rows])
    running, movements = opening, []
    for side, amount, entry_id, day, kind, memo, _hold_id in rows:
        signed = amount if side == "debit" else -amount
        running += signed
        movements.append(Movement(entry_id, day, kind, names.get(entry_id) or memo, memo,
                                  signed, running))
    return CurrencyStatement(account.currency, account.code, opening, running, account.pending,
                             movements)


def _counterparties(session: Session, fund: Fund, entries: list[tuple]) -> dict[int, str]:
    """Entry id → who was on the other side, in a few set-wise lookups; ``entries`` are
    (id, date, kind, memo, hold_id)."""
    ids = [entry_id for entry_id, *_rest in entries]
    names: dict[int, str] = {}
    for chunk in _chunks(ids):
        # An imported batch is one entry holding many gifts: none of its donors gave it all,
        # so only an entry of one gift is named by its donor (the batch keeps its memo).
        single = (select(Donation.entry_id).where(Donation.entry_id.in_(chunk))
                  .group_by(Donation.entry_id).having(func.count() == 1))
        for donation in session.scalars(select(Donation).where(Donation.entry_id.in_(single))):
            names[donation.entry_id] = donation.donor.display_name
        for allocation in session.scalars(select(Allocation).where(
                Allocation.entry_id.in_(chunk))):
            other = allocation.target if allocation.source_fund_id == fund.id else allocation.source
            names[allocation.entry_id] = f"{other.code} {other.name}"
    refunds = {entry_id: int(m.group(1)) for entry_id, _day, kind, memo, _hold in entries
               if kind == "refund" and (m := _REFUND.match(memo))}
    for chunk in _chunks(list(set(refunds.values()))):
        donors = {d.id: d.donor.display_name
                  for d in session.scalars(select(Donation).where(Donation.id.in_(chunk)))}
        for entry_id, donation_id in refunds.items():
            if donation_id in donors:
                names[entry_id] = donors[donation_id]
    held = {entry_id: hold_id for entry_id, _day, kind, _memo, hold_id in entries
            if kind == "disbursement" and hold_id is not None}
    for chunk in _chunks(list(set(held.values()))):
        memos = dict(session.execute(select(Hold.id, Hold.memo).where(Hold.id.in_(chunk))).all())
        matches = {hold_id: int(m.group(1)) for hold_id, memo in memos.items()
                   if (m := _MATCH.search(memo))}
        titles = {match.id: match.proposal.title for match in session.scalars(
            select(RunMatch).where(RunMatch.id.in_(set(matches.values()))))}
        for entry_id, hold_id in held.items():
            if hold_id in memos:
                names[entry_id] = titles.get(matches.get(hold_id), memos[hold_id])
    return names


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
