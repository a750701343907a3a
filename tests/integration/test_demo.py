"""The demo loads the Shenzhen hierarchy and some money, and loading again changes nothing."""

from fundpool import demo
from fundpool.audit.log import Actor
from fundpool.ledger.balances import current
from fundpool.ledger.verify import verify


def test_demo_loads_once_and_its_books_verify(db):
    with db.transaction() as session:
        created, kept = demo.load(session, Actor("demo"))
        assert (created, kept) == (1 + 9 + 79 + 79 * 3, 0)
        assert demo.load_money(session, Actor("demo")) is True
    with db.transaction() as session:
        assert demo.load(session, Actor("demo")) == (0, created)
        assert demo.load_money(session, Actor("demo")) is False
    with db.sessions() as session:
        assert current(session, "440304:1002:CNY").balance == 150_000_00
        assert current(session, "440304001:1002:CNY").balance == 50_000_00
        assert verify(session).ok


def test_demo_needs_and_proposals_give_the_matching_run_something_to_match(db):
    from fundpool.ledger.posting import today
    from fundpool.matching.inputs import load_inputs
    with db.transaction() as session:
        demo.load(session, Actor("demo"))
        assert demo.load_reserve(session, Actor("demo")) is True
    with db.transaction() as session:
        assert demo.load_reserve(session, Actor("demo")) is False
    with db.sessions() as session:
        needs, proposals = load_inputs(session, today())
    assert len(needs) == len(demo.NEEDS)
    assert {n.urgency for n in needs} == {"crisis", "priority", "routine"}
    in_reserve = [p for p in demo.PROPOSALS if p[-1] == "in_reserve"]
    assert [p.budget for p in proposals] == [p[4] * 100 for p in in_reserve]
    for proposal in proposals:  # each can serve some surveyed need: a category and the area
        assert any(need.category in proposal.categories and set(need.pool_path) & proposal.area
                   for need in needs), proposal


def test_the_demo_funds_its_first_proposed_grant_and_pays_half(db):
    from fundpool.matching import runs
    from fundpool.matching.run_models import RunMatch
    with db.transaction() as session:
        demo.load(session, Actor("demo"))
        demo.load_money(session, Actor("demo"))
        demo.load_reserve(session, Actor("demo"))
    run_id = runs.run_matching(db, Actor("demo"))
    with db.transaction() as session:
        match_id = demo.fund_first_grant(session, Actor("demo"), run_id)
    with db.sessions() as session:
        match = session.get(RunMatch, match_id)
        assert match.status == "approved" and match.paid == match.budget // 2 > 0
        assert verify(session).ok
