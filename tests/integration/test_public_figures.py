"""Public figures and disclosure reports agree with the ledger after donations, refunds,
pass-through gifts, an allocation, and a grant approved, paid in part and completed."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from fundpool.donations import service
from fundpool.donations.pass_through import PassThrough
from fundpool.errors import InvalidInput, NotFound
from fundpool.funds.allocation import allocate
from fundpool.funds.service import NewFund, Restriction, create_fund, get_fund
from fundpool.ledger.balances import current
from fundpool.ledger.chart import open_fund_accounts
from fundpool.ledger.posting import LEDGER_TZ, today
from fundpool.ledger.year_end import close_year
from fundpool.matching import approval, needs, proposals, runs
from fundpool.matching.run_models import RunMatch
from fundpool.reports.activity import activity
from fundpool.reports.disclosure import fund_year, project_report
from fundpool.reports.months import Month, Quarter
from fundpool.reports.public_figures import fund_figures, month_range, pool_figures
from fundpool.reports.scope import pool_scope
from tests.factories import ACTOR

CITY, DISTRICT, STREET, BINHE = "440300", "440304", "440304001", "440304001001"
ELDER = "ELDER-440304001"
SEPT, OCT = Month(2026, 9), Month(2026, 10)


def gift(session, donor, fund_code, amount, ref, day, channel="bank_transfer", **extra):
    return service.record_donation(session, ACTOR, service.NewDonation(
        donor_id=donor.id, fund=get_fund(session, fund_code), amount=amount, currency="CNY",
        channel=channel, channel_ref=ref, received_date=day, issue_receipt=False,
        **extra)).donation


@pytest.fixture
def scene(db, shenzhen):
    """September: 张三 1,000.00 and 平安银行 3,000.00 to the street, 平安银行 5,000.00 to its
    restricted elder fund, 700.00 to 罗湖区's street. October: an anonymous 200.00 to 滨河社区,
    李四 100.00 and a pass-through 800.00 to the street, 500.00 allocated street → 滨河.
    Today: 张三 refunded 300.00, 李四 wholly. A lunch project for 10 elderly people in 滨河 is
    matched, approved and paid 400.00 on 15 October."""
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(
            code=ELDER, name="南园街道助老专项基金", kind="special", pool_code=STREET,
            restricted=True, restriction=Restriction(categories=("elderly_in_difficulty",))))
        zhang = service.create_donor(session, ACTOR, service.NewDonor(
            "individual", "张三", contact="13800138000", id_number="440304199001011234"))
        li = service.create_donor(session, ACTOR, service.NewDonor(
            "individual", "李四", contact="li@example.com"))
        bank = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "平安银行"))
        nobody = service.create_donor(session, ACTOR, service.NewDonor(
            "individual", "王五", anonymous=True, contact="13900139000"))
        zhang_gift = gift(session, zhang, STREET, 1_000_00, "Z-1", date(2026, 9, 9))
        gift(session, bank, STREET, 3_000_00, "P-1", date(2026, 9, 10))
        gift(session, bank, ELDER, 5_000_00, "P-2", date(2026, 9, 10))
        gift(session, bank, "440303001", 700_00, "P-3", date(2026, 9, 12))
        gift(session, nobody, BINHE, 200_00, "W-1", date(2026, 10, 1), channel="wechat_pay")
        li_gift = gift(session, li, STREET, 100_00, "L-1", date(2026, 10, 5))
        gift(session, zhang, STREET, 800_00, "T-1", date(2026, 10, 2),
             pass_through=PassThrough(recipient="张三的邻居"))
        allocate(session, ACTOR, get_fund(session, STREET), get_fund(session, BINHE), 500_00,
                 "CNY", date(2026, 10, 20), "下拨滨河社区")
        service.refund(session, ACTOR, zhang_gift.id, 300_00, "捐赠人要求")
        service.refund(session, ACTOR, li_gift.id, 100_00, "重复捐赠")
        for people, urgency in ((6, "crisis"), (4, "routine")):
            needs.create_need(session, ACTOR, needs.NewNeed(
                pool_code=BINHE, category="elderly_in_difficulty", people=people,
                urgency=urgency, estimated_cost=people * 100_00, survey_date=date(2026, 10, 2)))
        proposal = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
            organisation="福田区长者服务社", title="滨河长者助餐", categories=("elderly_in_difficulty",),
            area_codes=(BINHE,), budget=1_200_00, capacity=10, duration_days=60))
        proposals.submit(session, ACTOR, proposal)
        proposals.review(session, ACTOR, proposal, accept=True)
        run = runs.run_now(session, ACTOR)
        [match] = session.scalars(select(RunMatch).where(RunMatch.run_id == run.id)).all()
        approval.approve(session, ACTOR, match.id)
        match.decided_at = datetime(2026, 10, 15, 9, tzinfo=LEDGER_TZ)  # approved back then
        approval.disburse(session, ACTOR, match.id, 400_00, date(2026, 10, 15), "第一期")
        shares = {share.fund.code: share.amount for share in match.shares}
        return {"proposal": proposal.id, "match": match.id, "shares": shares}


def complete(db, scene):
    with db.transaction() as session:
        approval.complete(session, ACTOR, scene["match"])


def paid_by(scene, code):
    """Each fund's part of the 400.00 instalment: shared in proportion to its hold."""
    codes = list(scene["shares"])
    parts = approval.split(400_00, [scene["shares"][c] for c in codes])
    return dict(zip(codes, parts)).get(code, 0)


def by_month(figures):
    return {f.month: f for f in figures.months}


def cny(figures, what):
    money = figures.money.get("CNY")
    return getattr(money, what) if money else 0


NOW = Month.of(today())


def test_a_pool_subtree_month_by_month(db, scene):
    with db.sessions() as session:
        figures = pool_figures(session, DISTRICT, SEPT, NOW)
    months = by_month(figures)
    assert [f.month for f in figures.months][:2] == [SEPT, OCT]
    assert cny(months[SEPT], "raised") == 9_000_00
    assert cny(months[OCT], "raised") == 300_00  # 200.00 anonymous + 100.00 李四, not 800.00
    assert cny(months[NOW], "raised") == -400_00  # the refunds, in the month they were made
    assert cny(months[OCT], "granted") == 400_00
    assert (months[SEPT].donations, months[OCT].donations) == (3, 2)
    assert figures.totals.donations == 5
    assert cny(figures.totals, "raised") == 8_900_00
    assert figures.held == {"CNY": 800_00}
    assert all(f.people_served == 0 for f in figures.months)


def test_the_city_rolls_up_every_district(db, scene):
    with db.sessions() as session:
        city = pool_figures(session, CITY, SEPT, NOW)
        other = pool_figures(session, "440303", SEPT, NOW)
        district = pool_figures(session, DISTRICT, SEPT, NOW)
    assert cny(by_month(city)[SEPT], "raised") == 9_700_00
    assert cny(other.totals, "raised") == 700_00
    assert city.totals.donations == district.totals.donations + other.totals.donations


def test_the_totals_equal_the_activity_statement_and_the_cost_account(db, scene):
    with db.sessions() as session:
        figures = pool_figures(session, CITY, Month(2026, 1), NOW)
        statement = activity(session, pool_scope(session, CITY), date(2026, 1, 1), today())
        costs = sum(current(session, f"{code}:5101:CNY").balance
                    for code in (STREET, ELDER, BINHE))
    totals = statement.totals["CNY"]
    assert cny(figures.totals, "raised") == totals.donation_u + totals.donation_r
    assert cny(figures.totals, "granted") == totals.program == costs == 400_00


def test_one_fund_month_by_month(db, scene):
    with db.sessions() as session:
        street = fund_figures(session, get_fund(session, STREET), SEPT, NOW)
        binhe = fund_figures(session, get_fund(session, BINHE), SEPT, NOW)
    assert cny(by_month(street)[SEPT], "raised") == 4_000_00
    assert cny(by_month(street)[OCT], "raised") == 100_00
    assert (by_month(street)[SEPT].donations, by_month(street)[OCT].donations) == (2, 1)
    assert cny(street.totals, "granted") == paid_by(scene, STREET)
    assert street.held.get("CNY", 0) == scene["shares"].get(STREET, 0) - paid_by(scene, STREET)
    assert cny(binhe.totals, "raised") == 200_00  # the allocation is not money raised


def test_people_are_served_in_the_month_the_grant_completes(db, scene):
    complete(db, scene)
    with db.sessions() as session:
        district = pool_figures(session, DISTRICT, SEPT, NOW)
        other = pool_figures(session, "440303", SEPT, NOW)
        funds = [fund_figures(session, get_fund(session, code), SEPT, NOW)
                 for code in scene["shares"]]
    assert by_month(district)[NOW].people_served == 10
    assert district.totals.people_served == 10
    assert other.totals.people_served == 0
    assert all(f.totals.people_served == 10 for f in funds)
    assert district.held == {}


def test_ranges_refuse_the_future_and_reversed_months(db):
    day = date(2026, 11, 27)
    assert month_range(day) == (Month(2026, 1), Month(2026, 11))
    assert month_range(day, year=2025) == (Month(2025, 1), Month(2025, 12))
    assert month_range(day, year=2026) == (Month(2026, 1), Month(2026, 11))
    for kwargs, field in (({"year": 2027}, "year"), ({"first": Month(2026, 12)}, "from"),
                          ({"first": Month(2026, 5), "last": Month(2026, 4)}, "from"),
                          ({"year": 2026, "first": Month(2026, 1)}, "year"),
                          ({"first": Month(2010, 1)}, "from")):
        with pytest.raises(InvalidInput) as refused:
            month_range(day, **kwargs)
        assert refused.value.field == field


def test_a_projects_quarter_shows_what_was_paid_then_and_to_date(db, scene):
    with db.sessions() as session:
        q3 = project_report(session, scene["proposal"], Quarter(2026, 3), today())
        q4 = project_report(session, scene["proposal"], Quarter(2026, 4), today())
    assert (q3.paid_in_quarter, q3.paid_to_date) == (0, 0)
    assert (q4.paid_in_quarter, q4.paid_to_date, q4.approved, q4.held) == (
        400_00, 400_00, 1_200_00, 800_00)
    assert {s.fund.code: s.share for s in q4.funds} == scene["shares"]
    assert {s.fund.code: s.paid_to_date for s in q4.funds} == {
        code: paid_by(scene, code) for code in scene["shares"]}
    assert [(n.category, n.urgency, n.needs, n.people) for n in q4.needs] == [
        ("elderly_in_difficulty", "crisis", 1, 6), ("elderly_in_difficulty", "routine", 1, 4)]
    assert q4.people_served == 0
    assert (q4.proposal.title, q4.proposal.organisation) == ("滨河长者助餐", "福田区长者服务社")


def test_a_completed_project_has_served_its_people(db, scene):
    complete(db, scene)
    with db.sessions() as session:
        report = project_report(session, scene["proposal"], Quarter.of(today()), today())
    assert (report.people_served, report.completed_on, report.held) == (10, today(), 0)
    assert report.match.status == "completed"


def test_only_funded_projects_and_begun_quarters_are_reported(db, scene):
    with db.transaction() as session:
        draft = proposals.create_proposal(session, ACTOR, proposals.NewProposal(
            organisation="某社工机构", title="草稿", categories=("general_residents",),
            area_codes=(BINHE,), budget=100_00, capacity=1, duration_days=10))
    with db.sessions() as session:
        for proposal_id in (draft.id, 999_999):
            with pytest.raises(NotFound) as missing:
                project_report(session, proposal_id, Quarter(2026, 4), today())
            assert missing.value.field == "proposal_id"
        with pytest.raises(InvalidInput) as future:
            project_report(session, scene["proposal"], Quarter(today().year + 1, 1), today())
        assert future.value.field == "quarter"


def test_a_funds_year_rolls_forward_to_its_balances(db, scene):
    with db.sessions() as session:
        report = fund_year(session, get_fund(session, STREET), 2026, today())
        money = sum(current(session, f"{STREET}:{chart}:CNY").balance
                    for chart in ("1002", "1009", "1201"))
    [part] = report.currencies
    assert (part.opening, part.donations, part.donation_count) == (0, 4_100_00, 3)
    assert (part.refunds, part.allocated_out, part.allocated_in) == (400_00, 500_00, 0)
    assert part.grants_paid == paid_by(scene, STREET)
    assert part.other == 0
    assert part.closing == money == (part.opening + part.donations - part.refunds
                                     - part.grants_paid - part.allocated_out)
    assert [(d.name, d.donations, d.amount) for d in part.largest_donors] == [
        ("平安银行", 1, 3_000_00), ("张*", 1, 700_00)]
    assert [(c.fund.code, c.allocated_in, c.allocated_out) for c in part.allocations] == [
        (BINHE, 0, 500_00)]
    if paid_by(scene, STREET):
        assert [(p.proposal.title, p.amount) for p in part.projects] == [
            ("滨河长者助餐", paid_by(scene, STREET))]


def test_a_community_funds_year_names_an_anonymous_donor_so(db, scene):
    with db.sessions() as session:
        report = fund_year(session, get_fund(session, BINHE), 2026, today(), lang="en")
        last_year = fund_year(session, get_fund(session, BINHE), 2025, today())
    [part] = report.currencies
    assert [(d.name, d.amount) for d in part.largest_donors] == [("Anonymous", 200_00)]
    assert (part.allocated_in, part.donations, part.opening) == (500_00, 200_00, 0)
    assert last_year.currencies == []
    with db.sessions() as session, pytest.raises(InvalidInput) as future:
        fund_year(session, get_fund(session, BINHE), today().year + 1, today())
    assert future.value.field == "year"


def test_the_month_of_completion_is_chinas(db, scene):
    """Completed at 17:00 UTC on 31 October is 01:00 on 1 November in Shenzhen."""
    complete(db, scene)
    with db.transaction() as session:
        session.get(RunMatch, scene["match"]).decided_at = datetime(2026, 10, 31, 17, 0,
                                                                     tzinfo=UTC)
    with db.sessions() as session:
        figures = pool_figures(session, DISTRICT, OCT, Month(2026, 11))
        october = pool_figures(session, DISTRICT, OCT, OCT)
    assert [f.people_served for f in figures.months] == [0, 10]
    assert october.totals.people_served == 0


def test_a_year_end_close_changes_no_public_figure(db, shenzhen):
    """Closing entries move income and costs into net assets; raised, granted and the
    fund's money stay what they were, and the next year opens where the last one closed."""
    last = today().year - 1
    with db.transaction() as session:
        bank = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "平安银行"))
        gift(session, bank, STREET, 2_000_00, "Y-1", date(last, 12, 1))
        gift(session, bank, BINHE, 500_00, "Y-2", date(last, 12, 2))

    def read():
        with db.sessions() as session:
            figures = pool_figures(session, CITY, Month(last, 1), Month(last, 12))
            year = fund_year(session, get_fund(session, STREET), last, today())
            return cny(figures.totals, "raised"), figures.totals.donations, year.currencies[0]

    before = read()
    with db.transaction() as session:
        assert close_year(session, ACTOR, last, today()).created
    after = read()
    assert before == after
    assert after[:2] == (2_500_00, 2)
    with db.sessions() as session:
        now = fund_year(session, get_fund(session, STREET), today().year, today())
    assert now.currencies[0].opening == after[2].closing == 2_000_00


def test_each_currency_is_counted_apart_never_converted(db, shenzhen):
    with db.transaction() as session:
        open_fund_accounts(session, get_fund(session, STREET), "HKD")
        bank = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "汇丰银行"))
        gift(session, bank, STREET, 1_000_00, "C-1", date(2026, 9, 1))
        service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=bank.id, fund=get_fund(session, STREET), amount=300_00, currency="HKD",
            channel="bank_transfer", channel_ref="H-1", received_date=date(2026, 9, 2),
            issue_receipt=False))
    with db.sessions() as session:
        figures = pool_figures(session, STREET, SEPT, SEPT)
        year = fund_year(session, get_fund(session, STREET), 2026, today())
    assert {c: m.raised for c, m in figures.totals.money.items()} == {"CNY": 1_000_00,
                                                                     "HKD": 300_00}
    assert figures.totals.donations == 2
    assert [(p.currency, p.donations, p.donation_count, p.closing) for p in year.currencies] == [
        ("CNY", 1_000_00, 1, 1_000_00), ("HKD", 300_00, 1, 300_00)]
    assert [d.name for p in year.currencies for d in p.largest_donors] == ["汇丰银行", "汇丰银行"]
