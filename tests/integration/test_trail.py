"""Where the money went, as a donor or a foundation would check it: every gift's parts add
up to the gift, the street spends its oldest money first, money allocated down is followed
into the community, a refund takes the refunded gift's own money, and a fund's projects
show what it paid and the people they served (the story is tests/trail_story.py)."""

from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from fundpool.donations import pass_through, service
from fundpool.donations.service import get_donation
from fundpool.funds.allocation import allocate
from fundpool.funds.service import get_fund
from fundpool.ledger.balances import current
from fundpool.ledger.models import Entry
from fundpool.ledger.posting import post_entry
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.reports import donation_trail
from fundpool.reports.donation_trail import trail
from fundpool.reports.fund_uses import fund_uses, hundredths
from tests.factories import ACTOR
from tests.trail_story import BINHE, STREET, build, day

OTHER, BAIHUA = "440304002", "440304002001"


@pytest.fixture
def story(db, shenzhen):
    return build(db)


def parts_of(db, donation_id):
    with db.sessions() as session:
        found = trail(session, get_donation(session, donation_id))
        return found, [(p.kind, p.amount, p.fund.code, p.date,
                        tuple(h.allocation.id for h in p.via)) for p in found.parts]


def test_every_gift_is_accounted_for_to_the_fen(db, story):
    for name, donation_id in story.gifts.items():
        found, _parts = parts_of(db, donation_id)
        assert found.total == found.donation.amount, name
        assert found.followed and found.kind == "gift"


def test_the_street_spends_its_oldest_money_first(db, story):
    _found, li = parts_of(db, story.gifts["李四"])
    assert li == [("grant", 250_00, STREET, day(-6), ()), ("grant", 350_00, STREET, day(-4), ())]
    _found, zhao = parts_of(db, story.gifts["赵六"])
    assert zhao == [("in_fund", 300_00, STREET, None, ())]  # the newest money is still there


def test_money_allocated_down_is_followed_into_the_community(db, story):
    found, zhang = parts_of(db, story.gifts["张三"])
    via = (story.allocation_id,)
    assert zhang == [("grant", 250_00, BINHE, day(-6), via),  # its first 500.00, sent down
                     ("grant", 500_00, STREET, day(-6), ()),
                     ("grant", 150_00, BINHE, day(-4), via),
                     ("in_fund", 100_00, BINHE, None, via)]
    grants = [part for part in found.parts if part.kind == "grant"]
    assert {part.match.id for part in grants} == {story.match_id}
    assert grants[0].match.proposal.title == "滨河长者助餐"
    assert grants[0].entry_id == grants[1].entry_id == story.instalments[0]


def test_a_refund_takes_the_refunded_gifts_own_money_first(db, story):
    found, wang = parts_of(db, story.gifts["王五"])
    assert wang == [("grant", 100_00, STREET, day(-4), ()),
                    ("refund", 100_00, STREET, day(0), ()),
                    ("in_fund", 200_00, STREET, None, ())]
    assert found.parts[1].refund_of == found.donation.id
    assert [(r.amount, r.date) for r in found.refunds] == [(100_00, day(0))]


def test_the_trails_together_are_the_funds_spending(db, story):
    """Summed over every gift, the parts are exactly what the ledger says the funds paid,
    refunded and still hold."""
    by_kind = defaultdict(int)
    for donation_id in story.gifts.values():
        for kind, amount, fund, *_rest in parts_of(db, donation_id)[1]:
            by_kind[(kind, fund)] += amount
    with db.sessions() as session:
        street, binhe = (current(session, f"{code}:1002:CNY").balance for code in (STREET, BINHE))
    assert by_kind == {("grant", STREET): 1_200_00, ("grant", BINHE): 400_00,
                       ("refund", STREET): 100_00, ("in_fund", STREET): street,
                       ("in_fund", BINHE): binhe}
    assert (street, binhe) == (500_00, 100_00)


def test_a_funds_projects_show_what_it_paid_and_the_people_served(db, story):
    with db.sessions() as session:
        street = fund_uses(session, get_fund(session, STREET))
        binhe = fund_uses(session, get_fund(session, BINHE))
    [project] = street.projects
    assert (project.match.id, project.match.proposal.title, project.match.proposal.organisation) \
        == (story.match_id, "滨河长者助餐", "福田区长者服务社")
    assert (project.share, project.paid, project.held, project.released) == (
        1_500_00, 1_200_00, 300_00, 0)
    assert [(n.category, n.urgency, n.needs, n.people) for n in project.needs] == [
        ("elderly_in_difficulty", "crisis", 1, 5), ("elderly_in_difficulty", "routine", 1, 10)]
    assert hundredths(project.people_share) == "11.25"  # 15 people × 1,500 / 2,000
    [theirs] = binhe.projects
    assert (theirs.share, theirs.paid, theirs.held) == (500_00, 400_00, 100_00)
    assert project.people_share + theirs.people_share == 15
    [allocation] = street.allocations
    assert (allocation.allocation.target.code, allocation.allocation.amount, allocation.date) == (
        BINHE, 500_00, day(-9))
    [totals] = street.totals
    assert (totals.currency, totals.approved, totals.paid, totals.held, totals.allocated_out,
            totals.refunded, totals.projects, totals.people) == (
        "CNY", 1_500_00, 1_200_00, 300_00, 500_00, 100_00, 1, 15)


def test_a_completed_project_releases_the_rest(db, story):
    from fundpool.matching import approval
    with db.transaction() as session:
        approval.complete(session, ACTOR, story.match_id)
    with db.sessions() as session:
        [project] = fund_uses(session, get_fund(session, STREET)).projects
    assert (project.match.status, project.paid, project.held, project.released) == (
        "completed", 1_200_00, 0, 300_00)


def give(session, fund, amount, offset, channel="bank_transfer", ref="", **extra):
    donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "钱七"))
    return service.record_donation(session, ACTOR, service.NewDonation(
        donor_id=donor.id, fund=get_fund(session, fund), amount=amount, currency="CNY",
        channel=channel, channel_ref=ref or f"R{offset}{channel}{amount}",
        received_date=day(offset),
        issue_receipt=False, **extra)).donation.id


def send(session, source, target, amount, offset):
    return allocate(session, ACTOR, get_fund(session, source), get_fund(session, target), amount,
                    "CNY", day(offset), "").id


def test_money_is_followed_down_back_up_and_down_again(db, shenzhen, monkeypatch):
    with db.transaction() as session:
        gift = give(session, OTHER, 100_00, -5)
        hops = (send(session, OTHER, BAIHUA, 100_00, -4), send(session, BAIHUA, OTHER, 60_00, -3),
                send(session, OTHER, BAIHUA, 60_00, -2))
    found, parts = parts_of(db, gift)
    assert parts == [("in_fund", 60_00, BAIHUA, None, hops),  # its first 60.00 went back up
                     ("in_fund", 40_00, BAIHUA, None, hops[:1])]
    monkeypatch.setattr(donation_trail, "MAX_HOPS", 2)
    found, parts = parts_of(db, gift)
    assert not found.followed and found.total == 100_00
    assert ("allocation", 60_00, OTHER, day(-2), hops[:2]) in parts


def test_platform_money_reaching_the_bank_is_the_same_money(db, shenzhen):
    """A WeChat Pay gift sits in 1009 until it is moved to the bank; the move is not
    spending, so the allocation paid from the bank is the gift's."""
    with db.transaction() as session:
        gift = give(session, OTHER, 200_00, -5, channel="wechat_pay")
        post_entry(session, ACTOR, NewEntry(kind="adjustment", effective_date=day(-4), lines=(
            Line(f"{OTHER}:1002:CNY", Side.DEBIT, 200_00),
            Line(f"{OTHER}:1009:CNY", Side.CREDIT, 200_00)), memo="微信支付结算到账"))
        hop = send(session, OTHER, BAIHUA, 150_00, -3)
    assert parts_of(db, gift)[1] == [("in_fund", 150_00, BAIHUA, None, (hop,)),
                                     ("in_fund", 50_00, OTHER, None, ())]


def test_money_sent_before_the_gift_that_paid_for_it_waits_for_that_gift(db, shenzhen):
    """An allocation backdated before every gift: in the order of spending it comes first
    and takes the next money in."""
    with db.transaction() as session:
        gift = give(session, OTHER, 100_00, -3)
        hop = send(session, OTHER, BAIHUA, 70_00, -6)
    assert parts_of(db, gift)[1] == [("in_fund", 70_00, BAIHUA, None, (hop,)),
                                     ("in_fund", 30_00, OTHER, None, ())]


def test_a_pass_through_gift_goes_to_its_recipient(db, shenzhen):
    with db.transaction() as session:
        gift = give(session, OTHER, 300_00, -5,
                    pass_through=pass_through.PassThrough("李奶奶家", "助医"))
        pass_through.pay_on(session, ACTOR, gift, pass_through.PayOn(120_00, day(-2)))
        service.refund(session, ACTOR, gift, 30_00, "捐赠人撤回一部分")
    found, parts = parts_of(db, gift)
    assert found.kind == "pass_through" and found.total == 300_00
    assert [(kind, amount) for kind, amount, *_rest in parts] == [
        ("paid_on", 120_00), ("refund", 30_00), ("held_for_recipient", 150_00)]
    assert {part.recipient for part in found.parts if part.kind != "refund"} == {"李奶奶家"}


def test_a_gift_in_kind_is_goods_the_fund_holds(db, shenzhen):
    with db.transaction() as session:
        gift = give(session, OTHER, 80_00, -5, channel="in_kind",
                    in_kind_description="大米 20 袋", valuation_basis="发票")
        service.refund(session, ACTOR, gift, 20_00, "退回 5 袋")
    found, parts = parts_of(db, gift)
    assert found.kind == "in_kind"
    assert [(kind, amount) for kind, amount, *_rest in parts] == [
        ("refund", 20_00), ("goods", 60_00)]


DISTRICT = "440304"
LINE = (DISTRICT, OTHER, BAIHUA)  # a district, its street, the street's community


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_add_up_to_the_ledger(db, shenzhen, monkeypatch, seed):
    """Gifts (by bank and by WeChat Pay), allocations up and down, other spending and refunds,
    dated out of order: every gift's parts add up to it, and over all gifts they are exactly
    each fund's spending and what it still holds. Read 5 events at a time."""
    import random

    from fundpool import reports
    monkeypatch.setattr(reports.fifo, "CHUNK", 5)
    rng = random.Random(seed)
    spent, refunded, gifts = defaultdict(int), defaultdict(int), []
    with db.transaction() as session:
        def available(code, chart="1002"):
            return current(session, f"{code}:{chart}:CNY").available

        for step in range(60):
            code, offset = rng.choice(LINE), -rng.randrange(0, 40)
            action = rng.choice(("give", "give", "send", "spend", "refund", "settle"))
            if action == "give" or not gifts:
                channel = rng.choice(("bank_transfer", "bank_transfer", "wechat_pay"))
                gifts.append(give(session, code, rng.randrange(1, 50_000), offset,
                                  channel=channel, ref=f"S{step}"))
            elif action == "send" and available(code):
                target = rng.choice([other for other in LINE if other != code])
                send(session, code, target, rng.randrange(1, available(code) + 1), offset)
            elif action == "spend" and available(code):
                amount = rng.randrange(1, available(code) + 1)
                post_entry(session, ACTOR, NewEntry(kind="adjustment", effective_date=day(offset),
                                                    memo="活动支出", lines=(
                    Line(f"{code}:5201:CNY", Side.DEBIT, amount),
                    Line(f"{code}:1002:CNY", Side.CREDIT, amount))))
                spent[code] += amount
            elif action == "settle" and available(code, "1009"):
                amount = available(code, "1009")
                post_entry(session, ACTOR, NewEntry(kind="adjustment", effective_date=day(offset),
                                                    memo="平台结算到账", lines=(
                    Line(f"{code}:1002:CNY", Side.DEBIT, amount),
                    Line(f"{code}:1009:CNY", Side.CREDIT, amount))))
            elif action == "refund":
                donation = get_donation(session, rng.choice(gifts))
                chart = "1009" if donation.channel == "wechat_pay" else "1002"
                amount = min(donation.amount - donation.refunded,
                             available(donation.fund.code, chart))
                if amount > 0:
                    amount = rng.randrange(1, amount + 1)
                    service.refund(session, ACTOR, donation.id, amount, "退款")
                    refunded[donation.fund.code] += amount
    with db.sessions() as session:
        kinds = Counter(entry.kind for entry in session.scalars(select(Entry)))
    assert kinds["allocation"] + kinds["return"] >= 5 and kinds["refund"] >= 2
    parts = defaultdict(int)
    for donation_id in gifts:
        found, listed = parts_of(db, donation_id)
        assert found.total == found.donation.amount and found.followed
        for kind, amount, fund, *_rest in listed:
            parts[(kind, fund)] += amount
    with db.sessions() as session:
        for code in LINE:
            money = sum(current(session, f"{code}:{chart}:CNY").balance
                        for chart in ("1002", "1009"))
            assert parts.get(("in_fund", code), 0) == money, code
            assert parts.get(("other", code), 0) == spent[code], code
            assert parts.get(("refund", code), 0) == refunded[code], code
    assert {kind for kind, _fund in parts} <= {"in_fund", "other", "refund"}
