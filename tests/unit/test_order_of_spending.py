"""The order of spending on its own, without a database: first in, first out, a refund
takes its own gift first, money out before the money that paid for it waits for it."""

from datetime import date
from fractions import Fraction

from fundpool.reports.fifo import Source, Use, Walk
from fundpool.reports.fund_uses import hundredths

A, B, C = (Source("donation", n) for n in (1, 2, 3))


def use(kind, entry_id, ref=None):
    return Use(kind, ref, entry_id, date(2026, 11, 1), "")


def walk(events, interest, refunded=()):
    spent = Walk(interest, set(refunded))
    for event in events:
        spent.feed(event)
    return spent.result()


def spans(spent, source):
    return [(t.lot_lo, t.lot_hi, t.use.entry_id, t.out_lo) for t in spent.takes[source]]


def test_money_out_takes_the_oldest_money_first():
    grant, other = use("grant", 10, 7), use("other", 11)
    spent = walk([(A, 100), (B, 50), (grant, 120), (other, 20)], {A: 100, B: 50})
    assert spans(spent, A) == [(0, 100, 10, 0)]
    assert spans(spent, B) == [(0, 20, 10, 100), (20, 40, 11, 0)]
    assert spent.left == {B: (40, 50)}


def test_a_refund_takes_its_own_gift_first_then_the_oldest_money():
    refund = use("refund", 10, ref=2)
    spent = walk([(A, 100), (B, 50), (refund, 70)], {A: 100, B: 50}, refunded=[2])
    assert spans(spent, B) == [(0, 50, 10, 0)]
    assert spans(spent, A) == [(0, 20, 10, 50)]
    assert spent.left == {A: (20, 100)}


def test_money_nobody_asked_about_merges_and_still_counts():
    grant = use("grant", 10, 7)
    spent = walk([(None, 30), (Source("entry", 5), 30), (A, 100), (grant, 80)], {A: 100})
    assert spans(spent, A) == [(0, 20, 10, 60)]


def test_money_out_before_the_money_that_paid_for_it_waits_for_it():
    allocation = use("allocation", 10, 4)
    spent = walk([(allocation, 70), (A, 50), (B, 50)], {A: 50, B: 50})
    assert spans(spent, A) == [(0, 50, 10, 0)]
    assert spans(spent, B) == [(0, 20, 10, 50)]
    assert spent.left == {B: (20, 50)}


def test_the_walk_is_done_once_the_lots_asked_about_are_spent_that_far():
    spent = Walk({A: 40}, set())
    for event in [(A, 100), (use("grant", 10, 7), 30)]:
        spent.feed(event)
    assert not spent.done
    spent.feed((use("grant", 11, 7), 10))
    assert spent.done


def test_shares_of_people_round_half_up_to_two_places():
    assert [hundredths(Fraction(n, d)) for n, d in ((45, 4), (1, 3), (5, 8), (2, 3), (0, 1))] \
        == ["11.25", "0.33", "0.63", "0.67", "0.00"]
