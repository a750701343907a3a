"""The Shenzhen demo: the real city, districts and streets, a few communities each, and
some funds, donations (with receipts) and an allocation in 福田区 to look at, the needs
surveyed in some of its communities and the proposals in its reserve pools, for matching,
and people who can sign in to the console (``PEOPLE``, password ``DEMO_PASSWORD``).

Community codes and names are illustrative: the NBS community list is not
shipped, so each street gets three residents' committees numbered 001-003
with plausible names. They are marked as such in their English name.
"""

from __future__ import annotations

import zlib
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor
from fundpool.auth.tokens import create_token
from fundpool.auth.user_models import User
from fundpool.auth.users import accept_invite, invite_user
from fundpool.pools.codes import Level
from fundpool.pools.divisions import shenzhen
from fundpool.donations.receipts import register_book
from fundpool.donations.service import NewDonation, NewDonor, create_donor, record_donation
from fundpool.funds.allocation import allocate
from fundpool.funds.models import Fund, FundGrant
from fundpool.funds.service import NewFund, Restriction, create_fund, get_fund
from fundpool.ledger.posting import today
from fundpool.matching import needs, proposals
from fundpool.matching.models import Proposal
from fundpool.pools.service import NewPool, get_pool, import_pools

CITY = "440300"
COMMUNITIES_PER_STREET = 3
STEMS = ("滨河", "新村", "花园", "翠竹", "华富", "锦绣", "东湖", "桂园", "莲花", "荔枝",
         "松坪", "南岭", "沙河", "海滨", "景田", "龙塘", "石厦", "梅林", "玉田", "文锦")


def communities(streets: list[NewPool]) -> list[NewPool]:
    """Three illustrative communities per street, the same every time."""
    made = []
    for street in streets:
        start = zlib.crc32(street.code.encode()) % len(STEMS)
        for number in range(1, COMMUNITIES_PER_STREET + 1):
            stem = STEMS[(start + number * 7) % len(STEMS)]
            made.append(NewPool(code=f"{street.code}{number:03d}", name=f"{stem}社区",
                                level=Level.COMMUNITY, parent_code=street.code,
                                name_en=f"{stem} Community (illustrative)"))
    return made


def load(session: Session, actor: Actor) -> tuple[int, int]:
    """Create whatever of the demo is missing; return (created, already there)."""
    divisions = shenzhen()
    streets = [row for row in divisions if row.level is Level.STREET]
    return import_pools(session, actor, divisions + communities(streets))


def admin_token(session: Session, actor: Actor) -> str:
    _token, secret = create_token(session, actor, name="demo city admin", role="admin",
                                  pool_code=CITY)
    return secret


FUNDS = (
    NewFund(code="ELDER-440304001", name="南园街道助老专项基金", kind="special",
            pool_code="440304001", restricted=True, name_en="Nanyuan elderly care fund",
            restriction=Restriction(categories=("elderly_in_difficulty",))),
    NewFund(code="PINGAN-440304", name="平安助学冠名基金", kind="named", pool_code="440304",
            restricted=True, named_for="平安银行深圳分行",
            restriction=Restriction(categories=("children_in_difficulty",
                                                "left_behind_children"))),
    NewFund(code="COMM-440304001001", name="社区基金", kind="community",
            pool_code="440304001001", restricted=True,
            restriction=Restriction(area_codes=("440304001001",))),
)
DONORS = (("foundation", "深圳市慈善会"), ("enterprise", "平安银行深圳分行"),
          ("platform", "腾讯公益"), ("individual", "张女士"))
#: (donor index, fund, yuan, channel, reference, days ago)
GIFTS = ((0, "440304", 200_000, "bank_transfer", "SZCF-2026-0117", 20),
         (1, "PINGAN-440304", 80_000, "bank_transfer", "PAB-2026-3321", 15),
         (1, "ELDER-440304001", 30_000, "bank_transfer", "PAB-2026-3322", 12),
         (2, "ELDER-440304001", 12_345, "internet_platform", "TXGY-99-000187", 9),
         (3, "COMM-440304001001", 2_000, "wechat_pay", "WX-4200001987", 3))


def load_money(session: Session, actor: Actor) -> bool:
    """Funds, donors, a receipt book, donations and an allocation, once; False if present."""
    if session.scalar(select(Fund.id).where(Fund.code == FUNDS[0].code)) is not None:
        return False
    for fund in FUNDS:
        create_fund(session, actor, fund)
    register_book(session, actor, get_pool(session, "440304001"), "44030001", "0000000001",
                  "0000000500")
    register_book(session, actor, get_pool(session, "440304"), "44030002", "0000000001",
                  "0000000500")
    donors = [create_donor(session, actor, NewDonor(kind, name)).id for kind, name in DONORS]
    for donor, fund, yuan, channel, ref, days in GIFTS:
        record_donation(session, actor, NewDonation(
            donor_id=donors[donor], fund=get_fund(session, fund), amount=yuan * 100,
            currency="CNY", channel=channel, channel_ref=ref,
            received_date=today() - timedelta(days=days), purpose="示例捐赠 (demo)",
            issue_receipt=channel == "bank_transfer"))
    allocate(session, actor, get_fund(session, "440304"), get_fund(session, "440304001"),
             50_000_00, "CNY", today() - timedelta(days=5), "第四季度拨付 (demo)")
    return True


#: (community, category, people, urgency, yuan, days ago, note): a survey of four 福田区 streets
NEEDS = (
    ("440304001001", "elderly_in_difficulty", 18, "priority", 54_000, 40, "独居高龄老人助餐、每周两次探访"),
    ("440304001001", "disability", 6, "crisis", 30_000, 40, "两户重度残疾家庭无障碍改造"),
    ("440304001002", "elderly_in_difficulty", 25, "priority", 75_000, 35, "失能老人居家照护培训"),
    ("440304001002", "children_in_difficulty", 9, "priority", 27_000, 35, "课后托管与学业辅导"),
    ("440304001003", "extreme_poverty", 3, "crisis", 12_000, 30, "突发疾病后生活照料"),
    ("440304001003", "minimum_living_allowance", 23, "routine", 23_000, 30, "节日慰问与就业咨询"),
    ("440304002001", "left_behind_children", 11, "routine", 16_500, 28, "暑期陪伴计划"),
    ("440304002001", "single_mothers", 7, "routine", 14_000, 28, "亲子活动与心理支持小组"),
    ("440304002002", "children_in_difficulty", 14, "crisis", 42_000, 21, "监护缺失儿童临时照护"),
    ("440304004001", "disability", 14, "priority", 42_000, 20, "康复辅具租借与上门康复指导"),
    ("440304004002", "elderly_in_difficulty", 30, "routine", 45_000, 14, "长者智能手机课堂"),
    ("440304005001", "general_residents", 120, "routine", 36_000, 10, "社区防诈骗与应急知识讲座"),
)
#: (organisation, title, categories, areas, yuan, capacity, days, state): organisations are
#: illustrative; "in_reserve" ones are what the matching run can fund.
PROPOSALS = (
    ("福田区南园街道社工服务站（示例）", "长者助餐与探访", ("elderly_in_difficulty",),
     ("440304001",), 60_000, 45, 180, "in_reserve"),
    ("深圳市福田区青少年服务中心（示例）", "困境儿童课后托管", (
        "children_in_difficulty", "left_behind_children"), ("440304001002", "440304002"),
     48_000, 30, 120, "in_reserve"),
    ("福田街道残疾人康复协会（示例）", "残疾人居家康复", ("disability",),
     ("440304001001", "440304004"), 36_000, 20, 90, "in_reserve"),
    ("深圳市特困救助志愿者联合会（示例）", "特困与低保家庭生活照料", (
        "extreme_poverty", "minimum_living_allowance"), ("440304001003",), 25_000, 26, 60,
     "in_reserve"),
    ("园岭街道妇联（示例）", "单亲妈妈支持小组", ("single_mothers",), ("440304002001",),
     15_000, 12, 60, "submitted"),
    ("沙头街道社区志愿者协会（示例）", "社区防诈骗讲座", ("general_residents",),
     ("440304005001",), 8_000, 200, 30, "draft"),
    ("某文化传播公司（示例）", "社区文艺汇演", ("general_residents",), ("440304004",),
     90_000, 300, 3, "rejected"),
)


def load_reserve(session: Session, actor: Actor) -> bool:
    """Needs in four 福田区 streets and proposals in their reserves, once; False if present."""
    if session.scalar(select(Proposal.id).where(Proposal.title == PROPOSALS[0][1])) is not None:
        return False
    for number, (community, category, people, urgency, yuan, days, note) in enumerate(NEEDS, 1):
        needs.create_need(session, actor, needs.NewNeed(
            pool_code=community, category=category, people=people, urgency=urgency,
            estimated_cost=yuan * 100, survey_date=today() - timedelta(days=days), note=note,
            survey_ref=f"DEMO-{number:04d}"))
    for organisation, title, categories, areas, yuan, capacity, days, state in PROPOSALS:
        proposal = proposals.create_proposal(session, actor, proposals.NewProposal(
            organisation=organisation, title=title, categories=categories, area_codes=areas,
            budget=yuan * 100, capacity=capacity, duration_days=days,
            summary=f"{title}（示例项目 demo）"))
        if state == "draft":
            continue
        proposals.submit(session, actor, proposal, today() - timedelta(days=7))
        if state == "in_reserve":
            proposals.review(session, actor, proposal, True)
        elif state == "rejected":
            proposals.review(session, actor, proposal, False, "与社区需求关联不足，预算偏高 (demo)")
    return True


#: (login, display name, role, pool, fund granted): who can sign in to the demo console.
PEOPLE = (
    ("demo-admin", "陈主任（示例）", "admin", CITY, None),
    ("futian-admin", "福田区资金池管理员（示例）", "admin", "440304", None),
    ("nanyuan-admin", "南园街道社工站（示例）", "admin", "440304001", None),
    ("demo-auditor", "审计师（示例）", "auditor", None, None),
    ("pingan-foundation", "平安银行深圳分行（示例）", "foundation", None, "PINGAN-440304"),
)
#: The demo's one password; the demo database is for trying fundpool out, never for real data.
DEMO_PASSWORD = "fundpool-demo"


def load_people(session: Session, actor: Actor) -> bool:
    """The demo's console users with the demo password, once; False if present."""
    if session.scalar(select(User.id).where(User.login == PEOPLE[0][0])) is not None:
        return False
    for login, name, role, pool_code, fund_code in PEOPLE:
        user, secret = invite_user(session, actor, None, login=login, display_name=name,
                                   role=role, pool_code=pool_code)
        accept_invite(session, secret, DEMO_PASSWORD)
        if fund_code is not None:
            session.add(FundGrant(token_id=user.identity_id, fund_id=get_fund(session, fund_code).id))
    return True


def fund_first_grant(session: Session, actor: Actor, run_id: int) -> int | None:
    """Approve the run's first proposed match and pay half of it, so the demo shows money
    held and granted; the match's id, or None if the run proposed nothing."""
    from fundpool.matching import approval
    from fundpool.matching.run_models import RunMatch
    match_id = session.scalar(select(RunMatch.id).where(RunMatch.run_id == run_id,
                                                        RunMatch.status == "proposed")
                              .order_by(RunMatch.id).limit(1))
    if match_id is None:
        return None
    match = approval.approve(session, actor, match_id)
    approval.disburse(session, actor, match_id, match.budget // 2, memo="第一期拨款 (demo)")
    return match_id
