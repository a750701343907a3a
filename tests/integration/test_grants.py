"""Money for an approved project: held, paid in instalments, or released."""

import pytest

from fundpool.audit.log import Actor
from fundpool.donations import service
from fundpool.errors import InsufficientFunds, InvalidInput
from fundpool.funds.allocation import allocate
from fundpool.funds.service import NewFund, Restriction, create_fund, get_fund
from fundpool.ledger import holds
from fundpool.ledger.balances import current, recheck, totals_by_currency
from fundpool.ledger.posting import today
from fundpool.ledger.verify import verify
from fundpool.matching.grants import Portion, hold_grant, pay_instalment, void_grant

ACTOR = Actor("test")
STREET = "440304001"
ELDER = "ELDER-440304001"


@pytest.fixture
def funds(db, shenzhen):
    """The street's general fund holds 3,000.00 unrestricted; its elder fund 5,000.00
    restricted."""
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(
            code=ELDER, name="南园街道助老专项基金", kind="special", pool_code=STREET,
            restricted=True, restriction=Restriction(categories=("elderly_in_difficulty",))))
        donor = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "平安银行"))
        for code, amount, ref in ((STREET, 300_000, "G-1"), (ELDER, 500_000, "G-2")):
            service.record_donation(session, ACTOR, service.NewDonation(
                donor_id=donor.id, fund=get_fund(session, code), amount=amount, currency="CNY",
                channel="bank_transfer", channel_ref=ref, received_date=today(),
                issue_receipt=False))


def account(db, code):
    with db.sessions() as session:
        found = current(session, code)
        return found.balance, found.pending


def held(db, amounts):
    with db.transaction() as session:
        portions = [Portion(get_fund(session, code), amount) for code, amount in amounts]
        return hold_grant(session, ACTOR, portions, "长者助餐项目").id


def pay(db, hold_id, amounts):
    with db.transaction() as session:
        return pay_instalment(session, ACTOR, hold_id, amounts, today(), "第一期")


def sound(db):
    with db.sessions() as session:
        assert set(totals_by_currency(session).values()) <= {0}
        assert recheck(session) == []
        assert verify(session).ok


def test_approval_holds_each_share_without_moving_money(db, funds):
    held(db, [(ELDER, 400_000), (STREET, 100_000)])
    assert account(db, f"{ELDER}:1002:CNY") == (500_000, 400_000)
    assert account(db, f"{STREET}:1002:CNY") == (300_000, 100_000)
    assert account(db, f"{ELDER}:5101:CNY") == (0, 0)


def test_instalments_recognise_the_cost_pay_out_and_release_the_restriction(db, funds):
    hold_id = held(db, [(ELDER, 400_000), (STREET, 100_000)])
    first = pay(db, hold_id, [100_000, 25_000])
    assert account(db, f"{ELDER}:1002:CNY") == (400_000, 300_000)
    assert account(db, f"{STREET}:1002:CNY") == (275_000, 75_000)
    assert account(db, f"{ELDER}:5101:CNY") == (100_000, 0)
    assert account(db, f"{STREET}:2209:CNY") == (0, 0)
    assert account(db, f"{ELDER}:410102:CNY") == (400_000, 0)
    assert account(db, f"{ELDER}:410101:CNY") == (100_000, 0)
    assert account(db, f"{STREET}:410101:CNY") == (300_000, 0)  # unrestricted: no release
    assert first.grant.kind == "grant" and first.payment.kind == "disbursement"
    with db.sessions() as session:
        assert [leg.amount for leg in holds.get_hold(session, first.rest.id).legs] == [
            300_000, 75_000]
    last = pay(db, first.rest.id, [300_000, 75_000])
    assert last.rest is None
    assert account(db, f"{ELDER}:1002:CNY") == (100_000, 0)
    assert account(db, f"{STREET}:1002:CNY") == (200_000, 0)
    assert account(db, f"{ELDER}:5101:CNY") == (400_000, 0)
    sound(db)


def test_the_held_money_cannot_be_spent_twice(db, funds):
    held(db, [(ELDER, 400_000)])
    with pytest.raises(InsufficientFunds):
        held(db, [(ELDER, 100_001)])


def test_an_instalment_cannot_pay_more_than_is_held(db, funds):
    hold_id = held(db, [(ELDER, 400_000), (STREET, 100_000)])
    with pytest.raises(InvalidInput, match="commit between 0 and that"):
        pay(db, hold_id, [400_001, 0])
    assert account(db, f"{ELDER}:5101:CNY") == (0, 0)
    assert account(db, f"{ELDER}:1002:CNY") == (500_000, 400_000)


def test_voiding_releases_what_is_left(db, funds):
    hold_id = held(db, [(ELDER, 400_000), (STREET, 100_000)])
    rest = pay(db, hold_id, [100_000, 0]).rest
    assert [leg.amount for leg in rest.legs] == [300_000, 100_000]
    with db.transaction() as session:
        void_grant(session, ACTOR, rest.id)
    assert account(db, f"{ELDER}:1002:CNY") == (400_000, 0)
    assert account(db, f"{STREET}:1002:CNY") == (300_000, 0)
    with db.sessions() as session:
        assert holds.get_hold(session, rest.id).status == "voided"
    sound(db)


COMMUNITY_ELDER = "ELDER-440304001001"


def restricted_net(db, code):
    """What the fund holds restricted: its restricted income and restricted net assets."""
    return account(db, f"{code}:410102:CNY")[0] + account(db, f"{code}:3102:CNY")[0]


def community_elder_fund(db, area=()):
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(
            code=COMMUNITY_ELDER, name="滨河社区助老基金", kind="community",
            pool_code="440304001001", restricted=True,
            restriction=Restriction(categories=("elderly_in_difficulty",), area_codes=area)))


def send(db, source, amount):
    with db.transaction() as session:
        allocate(session, ACTOR, get_fund(session, source), get_fund(session, COMMUNITY_ELDER),
                 amount, "CNY", today(), "拨付滨河社区助老基金")


def test_a_grant_of_allocated_money_releases_no_restriction_the_fund_never_held(db, funds):
    community_elder_fund(db)
    send(db, STREET, 100_000)  # unrestricted money of the street's general fund
    pay(db, held(db, [(COMMUNITY_ELDER, 100_000)]), [100_000])
    assert account(db, f"{COMMUNITY_ELDER}:5101:CNY") == (100_000, 0)
    assert account(db, f"{COMMUNITY_ELDER}:3102:CNY") == (0, 0)
    assert account(db, f"{COMMUNITY_ELDER}:3101:CNY") == (0, 0)
    assert restricted_net(db, COMMUNITY_ELDER) == 0
    assert restricted_net(db, STREET) == 0
    sound(db)


def test_a_grant_releases_what_the_fund_holds_restricted_and_no_more(db, funds):
    community_elder_fund(db)
    with db.transaction() as session:
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "张三"))
        service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor.id, fund=get_fund(session, COMMUNITY_ELDER), amount=30_000,
            currency="CNY", channel="bank_transfer", channel_ref="C-1", received_date=today(),
            issue_receipt=False))
    send(db, STREET, 70_000)
    pay(db, held(db, [(COMMUNITY_ELDER, 100_000)]), [100_000])
    assert account(db, f"{COMMUNITY_ELDER}:410101:CNY") == (30_000, 0)  # released: its 300.00
    assert restricted_net(db, COMMUNITY_ELDER) == 0
    assert account(db, f"{COMMUNITY_ELDER}:3102:CNY") == (0, 0)
    assert account(db, f"{COMMUNITY_ELDER}:3101:CNY") == (0, 0)
    sound(db)


def test_restricted_money_allocated_down_and_spent_leaves_no_negative_restriction(db, funds):
    """The street's elder fund sends restricted money to the community's elder fund (same
    restriction, narrower area), which spends it. The receiving fund had no restricted
    income, so it releases none (the sending fund still shows it: docs/grants.md)."""
    community_elder_fund(db, area=("440304001001",))
    send(db, ELDER, 100_000)
    pay(db, held(db, [(COMMUNITY_ELDER, 100_000)]), [100_000])
    assert restricted_net(db, COMMUNITY_ELDER) == 0
    assert account(db, f"{COMMUNITY_ELDER}:3101:CNY") == (0, 0)
    sound(db)
