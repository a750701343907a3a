"""Posting in batches: the same books as one by one, all or nothing."""

import pytest
from sqlalchemy import func, select

from fundpool.audit.log import Actor
from fundpool.errors import InsufficientFunds, InvalidInput
from fundpool.ledger.accounts import get_account
from fundpool.ledger.posting import post_batch
from fundpool.ledger.models import Entry
from fundpool.ledger.posting import today
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.ledger.verify import verify
from tests.factories import bank, cost, income

STREETS = ("440304001", "440304002")
ACTOR = Actor("import")


def donation(street, amount):
    return NewEntry("donation", today(), (Line(bank(street), Side.DEBIT, amount),
                                          Line(income(street), Side.CREDIT, amount)))


def grant(street, amount):
    return NewEntry("grant", today(), (Line(cost(street), Side.DEBIT, amount),
                                       Line(bank(street), Side.CREDIT, amount)))


def count_entries(db):
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Entry))


def test_a_large_batch_posts_verifiable_books(db, shenzhen):
    batch = [donation(STREETS[i % 2], 100 + i) for i in range(120)] + [grant(STREETS[0], 50)]
    with db.transaction() as session:
        ids = [entry.id for entry in post_batch(session, ACTOR, batch)]
    assert len(ids) == len(set(ids)) == 121
    with db.sessions() as session:
        report = verify(session)
        assert report.ok, report.problems[:3]
        assert report.postings == 242
        expected = sum(100 + i for i in range(0, 120, 2)) - 50
        assert get_account(session, bank(STREETS[0])).balance == expected
        assert get_account(session, bank(STREETS[0])).last_seq == 61


def test_entries_in_a_batch_are_checked_in_order(db, shenzhen):
    with pytest.raises(InsufficientFunds) as caught:
        with db.transaction() as session:
            post_batch(session, ACTOR, [grant(STREETS[0], 10), donation(STREETS[0], 10)])
    assert caught.value.field == "entries.0.postings"
    with db.transaction() as session:
        post_batch(session, ACTOR, [donation(STREETS[0], 10), grant(STREETS[0], 10)])


def test_one_bad_entry_refuses_the_whole_batch(db, shenzhen):
    bad = NewEntry("donation", today(), (Line(bank(STREETS[0]), Side.DEBIT, 5),
                                         Line(income(STREETS[0]), Side.CREDIT, 4)))
    with pytest.raises(InvalidInput) as caught:
        with db.transaction() as session:
            post_batch(session, ACTOR, [donation(STREETS[0], 7)] * 60 + [bad])
    assert caught.value.field == "entries.60.postings"
    assert count_entries(db) == 0
