"""The ledger under concurrent writers on PostgreSQL, with real threads."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select, text

from fundpool.audit.log import Actor
from fundpool.ledger.balances import recheck, totals_by_currency
from fundpool.ledger.models import Entry
from fundpool.ledger.posting import post_entry, today
from fundpool.ledger.values import Line, NewEntry, Side
from tests.factories import bank, cost, income
from tests.integration.test_concurrency import at_once

pytestmark = pytest.mark.postgres
STREET = "440304001"
ACTOR = Actor("test")


def post(db, *lines, kind="adjustment"):
    with db.transaction() as session:
        return post_entry(session, ACTOR, NewEntry(kind, today(), tuple(
            Line(code, side, amount) for code, side, amount in lines))).id


def test_fifty_threads_spending_10_from_100_exactly_ten_succeed(app, db, shenzhen):
    headers = shenzhen.headers("street_admin")
    post(db, (bank(STREET), Side.DEBIT, 10_000), (income(STREET), Side.CREDIT, 10_000))
    spend = {"memo": "grant", "postings": [
        {"account": cost(STREET), "side": "debit", "amount": "10.00"},
        {"account": bank(STREET), "side": "credit", "amount": "10.00"}]}
    responses = at_once(app, [("post", "/api/v1/entries", headers, spend)] * 50)
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 10
    assert statuses.count(409) == 40
    assert all(r.json["type"] == "urn:fundpool:problem:insufficient-funds"
               for r in responses if r.status_code == 409)
    with db.sessions() as session:
        bank_balance = session.scalar(text(
            f"SELECT balance FROM accounts WHERE code = '{bank(STREET)}'"))
        assert bank_balance == 0
        assert recheck(session) == []
        assert set(totals_by_currency(session).values()) == {0}


def test_writers_on_other_accounts_do_not_wait_for_a_locked_one(db, shenzhen):
    """While one transaction holds the street's bank row, another street posts freely."""
    with db.engine.connect() as blocker:
        blocker.execute(text("SELECT id FROM accounts WHERE code = :c FOR UPDATE"),
                        {"c": bank(STREET)})
        with db.sessions() as session, session.begin():
            session.execute(text("SET LOCAL lock_timeout = '2s'"))
            post_entry(session, ACTOR, NewEntry("adjustment", today(), (
                Line(bank("440304002"), Side.DEBIT, 500),
                Line(income("440304002"), Side.CREDIT, 500))))
        blocker.rollback()


def test_crossing_entries_never_deadlock(db, shenzhen):
    """Half the threads move A→B, half B→A; fixed lock order means all of them finish."""
    a, b = bank(STREET), bank("440304002")
    for account, source in ((a, income(STREET)), (b, income("440304002"))):
        post(db, (account, Side.DEBIT, 100_000), (source, Side.CREDIT, 100_000))
    barrier = Barrier(20)

    def move(index):
        barrier.wait()
        source, target = (a, b) if index % 2 else (b, a)
        return post(db, (target, Side.DEBIT, 100), (source, Side.CREDIT, 100))

    with ThreadPoolExecutor(20) as pool:
        ids = list(pool.map(move, range(20)))
    assert len(set(ids)) == 20
    with db.sessions() as session:
        assert recheck(session) == []
        assert session.scalar(select(func.count()).select_from(Entry)) == 22


def test_the_same_idempotency_key_at_once_creates_one_entry(app, db, shenzhen):
    headers = {**shenzhen.headers("street_admin"), "Idempotency-Key": "platform-batch-7"}
    body = {"memo": "腾讯公益 batch 7", "postings": [
        {"account": bank(STREET), "side": "debit", "amount": "66.00"},
        {"account": income(STREET), "side": "credit", "amount": "66.00"}]}
    responses = at_once(app, [("post", "/api/v1/entries", headers, body)] * 12)
    assert {r.status_code for r in responses} == {201}
    assert len({r.json["id"] for r in responses}) == 1
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == 1


def test_concurrent_reversals_reverse_once(app, db, shenzhen):
    entry_id = post(db, (bank(STREET), Side.DEBIT, 700), (income(STREET), Side.CREDIT, 700))
    url = f"/api/v1/entries/{entry_id}/reverse"
    responses = at_once(app, [("post", url, shenzhen.headers("street_admin"), {})] * 8)
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7


def test_the_recheck_reads_one_snapshot_while_the_service_resolves_holds(db, shenzhen):
    """``verify`` loads the accounts, walks every chain, then rechecks the balances: on a
    live service a hold voided meanwhile must not show as a pending amount that differs
    from the open holds (the reliability run's verify failed so)."""
    from fundpool.ledger import holds
    from fundpool.ledger.models import Account
    post(db, (bank(STREET), Side.DEBIT, 10_000), (income(STREET), Side.CREDIT, 10_000))
    with db.transaction() as session:
        held = holds.create_hold(session, ACTOR, [holds.NewLeg(bank(STREET), cost(STREET),
                                                               4_000)], kind="grant")
    with db.sessions() as reader:
        loaded = reader.scalars(select(Account)).all()  # as verify's earlier steps hold them
        assert [a.pending for a in loaded if a.code == bank(STREET)] == [4_000]
        with db.transaction() as writer:
            holds.void_hold(writer, ACTOR, held.id)
        assert recheck(reader) == []
