"""Property-based: random sequences of entries, holds, commits, voids and reversals.

After every step, whatever was accepted or refused: each currency sums to zero
over all accounts, no no-overdraft account has a negative available balance,
and the maintained balances equal the ones recomputed from postings. After each
sequence the hash chains verify.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fundpool.audit.log import Actor
from fundpool.errors import FundpoolError
from fundpool.ledger import holds
from fundpool.ledger.balances import recheck, totals_by_currency
from fundpool.ledger.models import Account, Entry
from fundpool.ledger.posting import post_entry, today
from fundpool.ledger.reversal import reverse_entry
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.ledger.verify import verify
from tests.factories import bank, cost, income

POOLS = ("440304001", "440304002", "440304")
ACTOR = Actor("property")
pool = st.sampled_from(POOLS)
amount = st.integers(min_value=1, max_value=5_000)
index = st.integers(min_value=0, max_value=50)
OPERATIONS = st.one_of(
    st.tuples(st.just("donate"), pool, amount),
    st.tuples(st.just("spend"), pool, amount),
    st.tuples(st.just("transfer"), pool, pool, amount),
    st.tuples(st.just("hold"), pool, pool, amount),
    st.tuples(st.just("commit"), index, st.integers(min_value=0, max_value=100)),
    st.tuples(st.just("void"), index),
    st.tuples(st.just("reverse"), index),
)


def entry(kind, *lines):
    return NewEntry(kind, today(), tuple(Line(code, side, value) for code, side, value in lines))


def apply(session, operation, state):
    name, *args = operation
    if name == "donate":
        street, value = args
        post_entry(session, ACTOR, entry("donation", (bank(street), Side.DEBIT, value),
                                         (income(street), Side.CREDIT, value)))
    elif name == "spend":
        street, value = args
        post_entry(session, ACTOR, entry("grant", (cost(street), Side.DEBIT, value),
                                         (bank(street), Side.CREDIT, value)))
    elif name == "transfer":
        source, target, value = args
        post_entry(session, ACTOR, entry("allocation", (bank(target), Side.DEBIT, value),
                                         (bank(source), Side.CREDIT, value)))
    elif name == "hold":
        first, second, value = args
        legs = [holds.NewLeg(bank(first), cost(first), value)]
        if second != first:
            legs.append(holds.NewLeg(bank(second), cost(first), value))
        state["holds"].append(holds.create_hold(session, ACTOR, legs, kind="grant").id)
    elif name == "commit" and state["holds"]:
        hold_id = state["holds"][args[0] % len(state["holds"])]
        legs = holds.get_hold(session, hold_id).legs
        holds.commit_hold(session, ACTOR, hold_id, today(),
                          [leg.amount * args[1] // 100 for leg in legs])
    elif name == "void" and state["holds"]:
        holds.void_hold(session, ACTOR, state["holds"][args[0] % len(state["holds"])])
    elif name == "reverse":
        ids = session.scalars(select(Entry.id).order_by(Entry.id)).all()
        if ids:
            reverse_entry(session, ACTOR, ids[args[0] % len(ids)], today(), "")


def assert_sound(db):
    with db.sessions() as session:
        assert set(totals_by_currency(session).values()) <= {0}
        assert recheck(session) == []
        overdrawn = session.scalars(select(Account.code).where(
            Account.no_overdraft, Account.balance - Account.pending < 0)).all()
        assert overdrawn == []


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=15))
def test_random_sequences_keep_the_books_sound(db, shenzhen, operations):
    state = {"holds": []}
    for operation in operations:
        try:
            with db.transaction() as session:
                apply(session, operation, state)
        except FundpoolError:
            pass  # refused: insufficient funds, already resolved, already reversed, ...
        assert_sound(db)
    with db.sessions() as session:
        report = verify(session)
        assert report.ok, (report.problems[:3], report.mismatches[:3])
