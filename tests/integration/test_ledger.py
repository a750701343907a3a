"""The ledger core over a real database: posting, holds, reversals, periods, balances."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from fundpool.audit.log import Actor
from fundpool.errors import Conflict, InsufficientFunds, InvalidInput, NotFound, PeriodClosed
from fundpool.ledger import holds, periods
from fundpool.ledger.accounts import get_account, open_currency
from fundpool.ledger.balances import balance_as_of, recheck, totals_by_currency
from fundpool.ledger.models import Entry, Posting
from fundpool.ledger.posting import post_entry, today
from fundpool.ledger.reversal import reverse_entry
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.funds.service import get_fund
from tests.factories import bank, cost, income

ACTOR = Actor("test")
STREET = "440304001"
D, C = Side.DEBIT, Side.CREDIT


@pytest.fixture
def ledger(db, shenzhen):
    return Ledger(db)


class Ledger:
    def __init__(self, db):
        self.db = db

    def post(self, *lines, kind="adjustment", day=None, memo=""):
        with self.db.transaction() as session:
            entry = post_entry(session, ACTOR, NewEntry(kind, day or today(), tuple(
                Line(code, side, amount) for code, side, amount in lines), memo=memo))
            return entry.id

    def donate(self, amount, pool=STREET, day=None):
        return self.post((bank(pool), D, amount), (income(pool), C, amount), kind="donation",
                         day=day)

    def account(self, code):
        with self.db.sessions() as session:
            return get_account(session, code)

    def sound(self):
        with self.db.sessions() as session:
            assert recheck(session) == []
            assert all(total == 0 for total in totals_by_currency(session).values())


def test_a_donation_raises_bank_and_income_on_their_normal_sides(ledger):
    ledger.donate(100_000)
    assert ledger.account(bank(STREET)).balance == 100_000
    assert ledger.account(income(STREET)).balance == 100_000
    assert ledger.account(bank(STREET)).available == 100_000
    ledger.sound()


def test_an_unbalanced_entry_is_refused_and_writes_nothing(ledger, db):
    with pytest.raises(InvalidInput, match="does not balance: debits exceed credits by 0.01 CNY"):
        ledger.post((bank(STREET), D, 1001), (income(STREET), C, 1000))
    with db.sessions() as session:
        assert session.scalars(select(Entry)).all() == []
    assert ledger.account(bank(STREET)).balance == 0


def test_entries_balance_per_currency_not_in_total(ledger, db):
    with db.transaction() as session:
        open_currency(session, ACTOR, get_fund(session, STREET), "HKD")
    with pytest.raises(InvalidInput, match="does not balance"):
        ledger.post((bank(STREET), D, 500), (income(STREET, "HKD"), C, 500))
    ledger.post((bank(STREET, "HKD"), D, 500), (income(STREET, "HKD"), C, 500))
    assert ledger.account(bank(STREET, "HKD")).balance == 500


def test_spending_more_than_is_available_is_refused(ledger):
    ledger.donate(10_000)
    with pytest.raises(InsufficientFunds, match="has 100.00 CNY available; this needs 100.01"):
        ledger.post((cost(STREET), D, 10_001), (bank(STREET), C, 10_001), kind="grant")
    ledger.post((cost(STREET), D, 10_000), (bank(STREET), C, 10_000), kind="grant")
    assert ledger.account(bank(STREET)).balance == 0
    ledger.sound()


@pytest.mark.parametrize("lines, error, says", [
    ([("nope", D, 1), (income(STREET), C, 1)], NotFound, "there is no account nope"),
    ([(bank(STREET), D, 0), (income(STREET), C, 0)], InvalidInput, "greater than zero"),
    ([(bank(STREET), D, 10 ** 15), (income(STREET), C, 10 ** 15)], InvalidInput, "maximum"),
    ([(bank(STREET), D, 5)], InvalidInput, "two postings or more"),
])
def test_bad_entries_are_refused(ledger, lines, error, says):
    with pytest.raises(error, match=says):
        ledger.post(*lines)


def test_future_dates_are_refused_and_backdating_is_allowed(ledger):
    with pytest.raises(InvalidInput, match="after today"):
        ledger.donate(100, day=today() + timedelta(days=1))
    ledger.donate(100, day=today() - timedelta(days=40))


def test_balance_as_of_orders_by_effective_date(ledger, db):
    day = today()
    ledger.donate(5_000, day=day - timedelta(days=10))
    ledger.donate(7_000, day=day)
    ledger.donate(1_000, day=day - timedelta(days=20))  # recorded last, dated first
    account = ledger.account(bank(STREET))
    with db.sessions() as session:
        assert balance_as_of(session, account, day - timedelta(days=21)) == 0
        assert balance_as_of(session, account, day - timedelta(days=20)) == 1_000
        assert balance_as_of(session, account, day - timedelta(days=1)) == 6_000
        assert balance_as_of(session, account, day) == 13_000
    assert account.balance == 13_000


def test_a_reversal_mirrors_the_entry_and_happens_once(ledger, db):
    entry_id = ledger.donate(2_500)
    with db.transaction() as session:
        reversal = reverse_entry(session, ACTOR, entry_id, today(), "wrong fund")
        sides = [(p.account.code, p.side, p.amount) for p in reversal.postings]
        assert reversal.reverses_id == entry_id
    assert sides == [(bank(STREET), "credit", 2_500), (income(STREET), "debit", 2_500)]
    assert ledger.account(bank(STREET)).balance == 0
    with pytest.raises(Conflict, match=f"already reversed by entry {reversal.id}"):
        with db.transaction() as session:
            reverse_entry(session, ACTOR, entry_id, today(), "again")
    ledger.sound()


def test_a_reversal_cannot_overdraw(ledger, db):
    entry_id = ledger.donate(1_000)
    ledger.post((cost(STREET), D, 600), (bank(STREET), C, 600), kind="grant")
    with pytest.raises(InsufficientFunds):
        with db.transaction() as session:
            reverse_entry(session, ACTOR, entry_id, today(), "")


def hold(db, amount, *, expires_at=None, legs=None):
    with db.transaction() as session:
        made = holds.create_hold(session, ACTOR, legs or [
            holds.NewLeg(bank(STREET), cost(STREET), amount)], kind="grant",
            expires_at=expires_at)
        return made.id


def test_a_hold_stops_money_counting_as_available(ledger, db):
    ledger.donate(10_000)
    hold_id = hold(db, 7_000)
    account = ledger.account(bank(STREET))
    assert (account.balance, account.pending, account.available) == (10_000, 7_000, 3_000)
    with pytest.raises(InsufficientFunds):
        ledger.post((cost(STREET), D, 3_001), (bank(STREET), C, 3_001), kind="grant")
    with pytest.raises(InsufficientFunds):
        hold(db, 3_001)
    with db.transaction() as session:
        entry = holds.commit_hold(session, ACTOR, hold_id, today(), amounts=[4_000])
        assert entry.hold_id == hold_id
    account = ledger.account(bank(STREET))
    assert (account.balance, account.pending, account.available) == (6_000, 0, 6_000)
    assert ledger.account(cost(STREET)).balance == 4_000
    with pytest.raises(Conflict, match="already committed"):
        with db.transaction() as session:
            holds.void_hold(session, ACTOR, hold_id)
    ledger.sound()


def test_a_voided_hold_releases_everything_once(ledger, db):
    ledger.donate(10_000)
    hold_id = hold(db, 10_000)
    with db.transaction() as session:
        holds.void_hold(session, ACTOR, hold_id)
    assert ledger.account(bank(STREET)).available == 10_000
    with pytest.raises(Conflict, match="already voided"):
        with db.transaction() as session:
            holds.commit_hold(session, ACTOR, hold_id, today())
    ledger.sound()


def test_a_hold_on_three_pools_commits_as_one_entry(ledger, db):
    pools = ["440304001", "440304002", "440304"]
    for pool in pools:
        ledger.donate(5_000, pool=pool)
    legs = [holds.NewLeg(bank(pool), cost(STREET), 3_000) for pool in pools]
    hold_id = hold(db, 0, legs=legs)
    with db.transaction() as session:
        entry = holds.commit_hold(session, ACTOR, hold_id, today())
        assert len(entry.postings) == 6
    assert [ledger.account(bank(pool)).balance for pool in pools] == [2_000] * 3
    assert ledger.account(cost(STREET)).balance == 9_000
    ledger.sound()


def test_an_expired_hold_cannot_be_committed_and_is_voided_by_the_sweep(ledger, db):
    from fundpool.db import utcnow
    ledger.donate(1_000)
    hold_id = hold(db, 800, expires_at=utcnow() + timedelta(minutes=5))
    with db.transaction() as session:
        assert holds.expire_holds(session, ACTOR, utcnow()) == []
        assert holds.expire_holds(session, ACTOR, utcnow() + timedelta(minutes=6)) == [hold_id]
    assert ledger.account(bank(STREET)).available == 1_000
    with pytest.raises(Conflict, match="already expired"):
        with db.transaction() as session:
            holds.commit_hold(session, ACTOR, hold_id, today())
    ledger.sound()


def test_closed_periods_refuse_entries_until_reopened_with_a_reason(ledger, db):
    last_month = today().replace(day=1) - timedelta(days=1)
    month = periods.month_of(last_month)
    with db.transaction() as session:
        periods.close_period(session, ACTOR, month, today())
    with pytest.raises(PeriodClosed, match=f"{month} is closed"):
        ledger.donate(100, day=last_month)
    ledger.donate(100)
    with pytest.raises(InvalidInput, match="needs a reason"):
        with db.transaction() as session:
            periods.reopen_period(session, ACTOR, month, " ")
    with db.transaction() as session:
        periods.reopen_period(session, ACTOR, month, "late bank statement")
    ledger.donate(100, day=last_month)


def test_only_past_months_close(db, shenzhen):
    with pytest.raises(InvalidInput, match="not over yet"):
        with db.transaction() as session:
            periods.close_period(session, ACTOR, periods.month_of(today()), today())
    with pytest.raises(InvalidInput, match="YYYY-MM"):
        with db.transaction() as session:
            periods.close_period(session, ACTOR, "2026-13", today())


def test_posting_rows_carry_gapless_account_sequences(ledger, db):
    for amount in (1, 2, 3):
        ledger.donate(amount)
    with db.sessions() as session:
        account = get_account(session, bank(STREET))
        seqs = session.scalars(select(Posting.account_seq).where(
            Posting.account_id == account.id).order_by(Posting.account_seq)).all()
    assert seqs == [1, 2, 3]
    assert account.last_seq == 3


def test_current_balance_reads_the_maintained_figures(ledger, db):
    from fundpool.ledger.balances import current
    ledger.donate(4_200)
    with db.sessions() as session:
        figures = current(session, bank(STREET))
        assert (figures.balance, figures.pending, figures.available) == (4_200, 0, 4_200)
        with pytest.raises(NotFound):
            current(session, "nope")
