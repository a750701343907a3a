"""A street's money from gift to project, for the "where the money went" tests.

南园街道 (the street's general fund) receives three gifts, allocates 500.00 down to 滨河社区,
receives a fourth gift; a matching run pairs 滨河长者助餐 (2,000.00 for 15 elderly people:
5 in crisis, 10 routine) with 500.00 of the community's money and 1,500.00 of the street's;
it is approved and paid in two instalments (1,000.00, then 600.00); then 100.00 of the third
gift is refunded. By the street's order of spending (first in, first out):

| street | money in | money out |
| --- | --- | --- |
| day −12 | 张三 1,000.00 | |
| day −11 | 李四 600.00 | |
| day −10 | 王五 400.00 | |
| day −9 | | → 滨河社区 500.00: 张三 [0, 500) |
| day −8 | 赵六 300.00 | |
| day −6 | | instalment 1, 750.00: 张三 [500, 1000), 李四 [0, 250) |
| day −4 | | instalment 2, 450.00: 李四 [250, 600), 王五 [0, 100) |
| today | | refund of 王五 100.00: 王五's own [100, 200) |

left in the street: 王五 200.00 and 赵六 300.00 (of which 300.00 held for the project). The
community spends the 500.00 it received: 250.00 and 150.00 in the instalments, 100.00 left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from fundpool.donations import service
from fundpool.funds.allocation import allocate
from fundpool.funds.service import get_fund
from fundpool.ledger.posting import LEDGER_TZ, today
from fundpool.matching import approval, needs, proposals, runs
from fundpool.matching.run_models import RunMatch
from tests.factories import ACTOR

STREET, BINHE = "440304001", "440304001001"


def day(offset: int) -> date:
    return today() + timedelta(days=offset)


@dataclass
class Story:
    gifts: dict[str, int]  # donor name → donation id
    match_id: int
    proposal_id: int
    allocation_id: int
    instalments: list[int]  # the payment entries' ids


def build(db) -> Story:
    gifts = {}
    with db.transaction() as session:
        for name, amount, offset in (("张三", 1_000_00, -12), ("李四", 600_00, -11),
                                     ("王五", 400_00, -10)):
            gifts[name] = _give(session, name, amount, offset)
        allocation = allocate(session, ACTOR, get_fund(session, STREET),
                              get_fund(session, BINHE), 500_00, "CNY", day(-9), "拨付滨河社区")
        gifts["赵六"] = _give(session, "赵六", 300_00, -8)
        for people, urgency in ((5, "crisis"), (10, "routine")):
            needs.create_need(session, ACTOR, needs.NewNeed(
                pool_code=BINHE, category="elderly_in_difficulty", people=people,
                urgency=urgency, estimated_cost=people * 100_00, survey_date=day(-20)))
        proposal = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
            organisation="福田区长者服务社", title="滨河长者助餐", categories=("elderly_in_difficulty",),
            area_codes=(BINHE,), budget=2_000_00, capacity=15, duration_days=90))
        proposals.submit(session, ACTOR, proposal)
        proposals.review(session, ACTOR, proposal, accept=True)
        allocation_id, proposal_id = allocation.id, proposal.id
    with db.transaction() as session:
        run_id = runs.run_now(session, ACTOR).id
    with db.sessions() as session:
        match_id = session.scalar(select(RunMatch.id).where(RunMatch.run_id == run_id))
    paid = []
    with db.transaction() as session:
        approval.approve(session, ACTOR, match_id)  # back then, before the first instalment
        approval.get_match(session, match_id).decided_at = datetime.combine(
            day(-6), time(9), LEDGER_TZ)
    for amount, offset, memo in ((1_000_00, -6, "第一期"), (600_00, -4, "第二期")):
        with db.transaction() as session:
            paid.append(approval.disburse(session, ACTOR, match_id, amount, day(offset),
                                          memo).payment.id)
    with db.transaction() as session:
        service.refund(session, ACTOR, gifts["王五"], 100_00, "捐赠人要求部分退款")
    return Story(gifts, match_id, proposal_id, allocation_id, paid)


def _give(session, name: str, amount: int, offset: int) -> int:
    donor = service.create_donor(session, ACTOR, service.NewDonor("individual", name))
    return service.record_donation(session, ACTOR, service.NewDonation(
        donor_id=donor.id, fund=get_fund(session, STREET), amount=amount, currency="CNY",
        channel="bank_transfer", channel_ref=f"{name}-{offset}", received_date=day(offset),
        issue_receipt=False)).donation.id
