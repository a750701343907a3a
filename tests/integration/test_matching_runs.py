"""Matching runs, approval and grants over a real database: a run proposes, an admin
approves, the money is held, paid in instalments, and the project completes."""

from datetime import date

import pytest
from sqlalchemy import func, select

from fundpool.donations import service
from fundpool.errors import Conflict, InvalidInput
from fundpool.funds.allocation import allocate
from fundpool.funds.service import get_fund
from fundpool.ledger import holds
from fundpool.ledger.balances import current, recheck, totals_by_currency
from fundpool.ledger.posting import today
from fundpool.ledger.verify import verify
from fundpool.matching import approval, needs, proposals, runs
from fundpool.matching.run_models import MatchingRun, RunMatch
from fundpool.pools.service import close_pool
from tests.factories import ACTOR

STREET, BINHE = "440304001", "440304001001"


def give(session, fund_code, amount, ref):
    donor = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "平安银行"))
    service.record_donation(session, ACTOR, service.NewDonation(
        donor_id=donor.id, fund=get_fund(session, fund_code), amount=amount, currency="CNY",
        channel="bank_transfer", channel_ref=ref, received_date=today(), issue_receipt=False))


@pytest.fixture
def scene(db, shenzhen):
    """滨河社区: a crisis and a routine elderly need; a lunch project in reserve for them;
    500.00 in the community's pool, 3,000.00 in the street's."""
    with db.transaction() as session:
        give(session, BINHE, 500_00, "G-1")
        give(session, STREET, 3_000_00, "G-2")
        crisis, routine = (needs.create_need(session, ACTOR, needs.NewNeed(
            pool_code=BINHE, category="elderly_in_difficulty", people=people, urgency=urgency,
            estimated_cost=people * 100_00, survey_date=date(2026, 11, 2))).id
            for people, urgency in ((5, "crisis"), (10, "routine")))
        proposal = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
            organisation="福田区长者服务社", title="滨河长者助餐", categories=("elderly_in_difficulty",),
            area_codes=(BINHE,), budget=2_000_00, capacity=15, duration_days=90))
        proposals.submit(session, ACTOR, proposal)
        proposals.review(session, ACTOR, proposal, accept=True)
        return {"needs": (crisis, routine), "proposal": proposal.id}


def run(db):
    with db.transaction() as session:
        return runs.run_now(session, ACTOR).id


def the_match(db, run_id) -> RunMatch:
    with db.sessions() as session:
        found = session.scalars(select(RunMatch).where(RunMatch.run_id == run_id)).all()
        assert len(found) == 1
        return found[0]


def account(db, code):
    with db.sessions() as session:
        found = current(session, code)
        return found.balance, found.pending


def decide(db, action, match_id, *args):
    with db.transaction() as session:
        return getattr(approval, action)(session, ACTOR, match_id, *args)


def sound(db):
    with db.sessions() as session:
        assert set(totals_by_currency(session).values()) <= {0}
        assert recheck(session) == []
        assert verify(session).ok


def test_a_run_proposes_the_project_paid_with_local_money_first(db, scene):
    match = the_match(db, run(db))
    assert match.proposal_id == scene["proposal"]
    assert sorted(row.need_id for row in match.needs) == sorted(scene["needs"])
    shares = {share.fund.code: share.amount for share in match.shares}
    assert shares == {BINHE: 500_00, STREET: 1_500_00}
    assert match.reasons and all(row.reasons for row in match.needs)
    assert account(db, f"{BINHE}:1002:CNY") == (500_00, 0)  # a run moves no money


def test_approval_holds_the_shares_then_instalments_pay_and_completion_serves(db, scene):
    match_id = the_match(db, run(db)).id
    decide(db, "approve", match_id)
    assert account(db, f"{BINHE}:1002:CNY") == (500_00, 500_00)
    assert account(db, f"{STREET}:1002:CNY") == (3_000_00, 1_500_00)
    with db.sessions() as session:
        assert proposals.get_proposal(session, scene["proposal"]).status == "funded"
        assert {needs.get_need(session, n).status for n in scene["needs"]} == {"matched"}
    assert run_proposes_nothing(db)
    with db.transaction() as session:
        approval.disburse(session, ACTOR, match_id, 1_000_00, today(), "第一期")
    assert account(db, f"{BINHE}:1002:CNY") == (250_00, 250_00)
    assert account(db, f"{STREET}:1002:CNY") == (2_250_00, 750_00)
    assert account(db, f"{STREET}:5101:CNY") == (750_00, 0)
    assert account(db, f"{STREET}:2209:CNY") == (0, 0)
    completed = decide(db, "complete", match_id)
    assert (completed.status, completed.paid, completed.hold_id) == ("completed", 1_000_00, None)
    assert account(db, f"{STREET}:1002:CNY") == (2_250_00, 0)
    with db.sessions() as session:
        assert proposals.get_proposal(session, scene["proposal"]).status == "completed"
        assert {needs.get_need(session, n).status for n in scene["needs"]} == {"served"}
    sound(db)


def run_proposes_nothing(db) -> bool:
    with db.sessions() as session:
        return not session.scalars(select(RunMatch).where(RunMatch.run_id == run(db))).all()


def test_a_stale_match_is_refused_and_changes_nothing(db, scene):
    match_id = the_match(db, run(db)).id
    with db.transaction() as session:
        allocate(session, ACTOR, get_fund(session, BINHE), get_fund(session, STREET), 100_00,
                 "CNY", today(), "收回")
    with pytest.raises(Conflict, match="stale: fund 440304001001 has 400.00 CNY available"):
        decide(db, "approve", match_id)
    with db.sessions() as session:
        assert proposals.get_proposal(session, scene["proposal"]).status == "in_reserve"
        assert session.scalar(select(func.count()).select_from(holds.Hold)) == 0


def test_only_the_newest_runs_matches_can_be_decided(db, scene):
    first = the_match(db, run(db)).id
    second = the_match(db, run(db)).id
    with pytest.raises(Conflict, match="superseded.*newer run"):
        decide(db, "approve", first)
    decide(db, "approve", second)
    with pytest.raises(Conflict, match="approved, not proposed"):
        decide(db, "approve", second)


def test_rejecting_needs_a_reason_and_moves_nothing(db, scene):
    match_id = the_match(db, run(db)).id
    with pytest.raises(InvalidInput):
        decide(db, "reject", match_id, "  ")
    rejected = decide(db, "reject", match_id, "预算与需求不符")
    assert (rejected.status, rejected.rejection_reason) == ("rejected", "预算与需求不符")
    assert account(db, f"{STREET}:1002:CNY") == (3_000_00, 0)


def test_a_cancelled_grant_releases_its_money_and_reopens_its_needs(db, scene):
    match_id = the_match(db, run(db)).id
    decide(db, "approve", match_id)
    decide(db, "cancel", match_id, "机构停止运营")
    assert account(db, f"{BINHE}:1002:CNY") == (500_00, 0)
    with db.sessions() as session:
        assert proposals.get_proposal(session, scene["proposal"]).status == "expired"
        assert {needs.get_need(session, n).status for n in scene["needs"]} == {"open"}
    sound(db)


def test_a_grant_whose_hold_expires_lapses(db, scene):
    from datetime import timedelta

    from fundpool.db import utcnow
    match_id = the_match(db, run(db)).id
    decide(db, "approve", match_id)
    with db.transaction() as session:
        hold_id = approval.get_match(session, match_id).hold_id
        session.get(holds.Hold, hold_id).expires_at = utcnow() + timedelta(seconds=1)
    with db.transaction() as session:
        holds.expire_holds(session, ACTOR, utcnow() + timedelta(minutes=1))
    with db.transaction() as session:
        assert approval.lapse_expired(session, ACTOR) == [match_id]
    with db.sessions() as session:
        assert approval.get_match(session, match_id).status == "cancelled"
        assert proposals.get_proposal(session, scene["proposal"]).status == "expired"
    assert account(db, f"{STREET}:1002:CNY") == (3_000_00, 0)


def test_an_approved_grant_keeps_its_money_until_90_days_after_its_project_ends(db, scene):
    """Held money is never stranded: a grant neither completed nor cancelled lapses 90 days
    after its project's last day (here 90 days counted from the approval), at midnight China
    time, when the scheduler's sweep expires its hold; until then instalments can be paid."""
    from datetime import datetime, time, timedelta

    from fundpool.db import utcnow
    from fundpool.ledger.posting import LEDGER_TZ
    match_id = the_match(db, run(db)).id
    decide(db, "approve", match_id)
    last_day = today() + timedelta(days=89)
    lapse = datetime.combine(last_day + timedelta(days=91), time.min, LEDGER_TZ)
    with db.sessions() as session:
        hold = session.get(holds.Hold, approval.get_match(session, match_id).hold_id)
        assert hold.expires_at == lapse
    decide(db, "disburse", match_id, 500_00)
    with db.transaction() as session:
        rest = session.get(holds.Hold, approval.get_match(session, match_id).hold_id)
        assert rest.expires_at == lapse
        assert holds.expire_holds(session, ACTOR, lapse - timedelta(seconds=1)) == []
        assert holds.expire_holds(session, ACTOR, lapse) == [rest.id]
    with db.transaction() as session:
        assert approval.lapse_expired(session, ACTOR) == [match_id]
    with db.sessions() as session:
        assert proposals.get_proposal(session, scene["proposal"]).status == "expired"
        assert {needs.get_need(session, n).status for n in scene["needs"]} == {"open"}
    assert utcnow() < lapse
    sound(db)


def test_a_dated_project_lapses_90_days_after_its_end_date():
    from datetime import datetime, time

    from fundpool.ledger.posting import LEDGER_TZ
    from fundpool.matching.models import Proposal
    dated = Proposal(duration_days=31, start_date=date(2026, 12, 1), end_date=date(2026, 12, 31))
    assert approval.lapses_at(dated, date(2026, 11, 28)) == datetime.combine(
        date(2027, 4, 1), time.min, LEDGER_TZ)


def test_instalments_are_split_to_the_fen():
    assert approval.split(100_001, [1, 1, 1]) == [33_334, 33_334, 33_333]
    assert approval.split(10, [500, 1500]) == [3, 7]
    assert approval.split(7, [0, 5, 2]) == [0, 5, 2]
    assert sum(approval.split(99_999, [333, 667, 1])) == 99_999


@pytest.mark.postgres
def test_approving_one_match_from_many_threads_at_once_holds_once(db, scene):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier
    match_id = the_match(db, run(db)).id
    start = Barrier(8)

    def approve(_):
        start.wait()
        try:
            decide(db, "approve", match_id)
            return "approved"
        except Conflict:
            return "refused"
    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(approve, range(8)))
    assert outcomes == ["approved"] + ["refused"] * 7
    assert account(db, f"{STREET}:1002:CNY") == (3_000_00, 1_500_00)


def test_the_scheduled_run_lets_lapsed_grants_go_then_matches(db, scene):
    from fundpool import jobs
    from fundpool.matching.run_models import MatchingRun
    run_id = jobs.match_on_schedule(db)
    with db.sessions() as session:
        recorded = session.get(MatchingRun, run_id)
        assert (recorded.trigger, recorded.status, recorded.needs_seen) == ("schedule", "done", 2)
        assert recorded.bound >= recorded.objective > 0
        assert set(recorded.stats["people"]) >= {"crisis", "routine"}  # per-urgency figures kept
    assert the_match(db, run_id).proposal_id == scene["proposal"]


def test_a_closed_communitys_needs_and_proposals_are_not_matched(db, scene):
    """A community merged away (its money moved up, its pool closed) is no longer matched."""
    with db.transaction() as session:
        allocate(session, ACTOR, get_fund(session, BINHE), get_fund(session, STREET), 500_00,
                 "CNY", today(), "社区撤并，余额上交街道")
        close_pool(session, ACTOR, BINHE, "撤并")
    with db.sessions() as session:
        made = session.get(MatchingRun, run(db))
        assert (made.status, made.needs_seen, made.proposals_seen, made.matches) == \
            ("done", 0, 0, [])


def test_a_match_whose_community_closed_since_the_run_is_stale(db, scene):
    """The community is merged away after the run proposed its project (paid by the
    street alone): approving would hold the street's money for needs and a project of a
    pool that no longer exists, which no new run would propose."""
    with db.transaction() as session:
        allocate(session, ACTOR, get_fund(session, BINHE), get_fund(session, STREET), 500_00,
                 "CNY", today(), "社区撤并，余额上交街道")
    match_id = the_match(db, run(db)).id
    with db.transaction() as session:
        close_pool(session, ACTOR, BINHE, "撤并")
    with pytest.raises(Conflict, match=f"stale: pool {BINHE}, where proposal .* is closed"):
        decide(db, "approve", match_id)
    with db.sessions() as session:
        assert proposals.get_proposal(session, scene["proposal"]).status == "in_reserve"
        assert {needs.get_need(session, n).status for n in scene["needs"]} == {"open"}
        assert session.scalar(select(func.count()).select_from(holds.Hold)) == 0
    assert account(db, f"{STREET}:1002:CNY") == (3_500_00, 0)


def test_a_match_whose_needs_community_closed_since_the_run_is_stale(db, scene):
    """A street's project serves a community's needs; the community is merged away after
    the run: its needs are no longer the register's to match."""
    with db.transaction() as session:
        proposals.withdraw(session, ACTOR, proposals.get_proposal(session, scene["proposal"],
                                                                  lock=True))
        street_wide = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
            organisation="南园街道社工站", title="街道长者助餐", categories=("elderly_in_difficulty",),
            area_codes=(STREET,), budget=2_000_00, capacity=15, duration_days=90))
        proposals.submit(session, ACTOR, street_wide)
        proposals.review(session, ACTOR, street_wide, accept=True)
        allocate(session, ACTOR, get_fund(session, BINHE), get_fund(session, STREET), 500_00,
                 "CNY", today(), "社区撤并，余额上交街道")
    match_id = the_match(db, run(db)).id
    with db.transaction() as session:
        close_pool(session, ACTOR, BINHE, "撤并")
    with pytest.raises(Conflict, match=f"stale: need .* community {BINHE} is closed"):
        decide(db, "approve", match_id)
    with db.sessions() as session:
        assert {needs.get_need(session, n).status for n in scene["needs"]} == {"open"}
        assert session.scalar(select(func.count()).select_from(holds.Hold)) == 0


def test_a_match_whose_project_ended_since_the_run_is_stale(db, scene):
    """Yesterday's run proposed a project running until yesterday; approved today, it would
    hold money for a project already over, which today's run leaves out."""
    from datetime import timedelta
    yesterday = today() - timedelta(days=1)
    with db.transaction() as session:
        proposals.withdraw(session, ACTOR, proposals.get_proposal(session, scene["proposal"],
                                                                  lock=True))
        ending = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
            organisation="福田区长者服务社", title="滨河长者助餐（冬季）",
            categories=("elderly_in_difficulty",), area_codes=(BINHE,), budget=2_000_00,
            capacity=15, start_date=yesterday - timedelta(days=89), end_date=yesterday))
        # accepted into the reserve while it ran (today it could no longer be)
        ending.status, ending.submitted_on = "in_reserve", yesterday - timedelta(days=89)
        ending_id = ending.id
    with db.transaction() as session:
        run_id = runs.run_now(session, ACTOR, on=yesterday).id
    match_id = the_match(db, run_id).id
    with pytest.raises(Conflict, match=f"stale: proposal {ending_id} ended on {yesterday}"):
        decide(db, "approve", match_id)
    with db.sessions() as session:
        assert proposals.get_proposal(session, ending_id).status == "in_reserve"
        assert {needs.get_need(session, n).status for n in scene["needs"]} == {"open"}
        assert session.scalar(select(func.count()).select_from(holds.Hold)) == 0
