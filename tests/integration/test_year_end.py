"""The year-end close: closing entries, the checks around them, once per year, in order."""

from datetime import date

import pytest
from sqlalchemy import func, select

from fundpool.audit.log import Actor
from fundpool.audit.models import AuditEvent
from fundpool.donations import service
from fundpool.donations.models import Donation
from fundpool.errors import Conflict, InvalidInput, PeriodClosed
from fundpool.funds.allocation import allocate
from fundpool.funds.service import NewFund, Restriction, close_fund, create_fund, get_fund
from fundpool.ledger import periods, year_end
from fundpool.ledger.accounts import open_currency
from fundpool.ledger.models import Entry, Period
from fundpool.ledger.posting import post_entry, today
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.ledger.verify import verify
from fundpool.ledger.year_end import close_year
from fundpool.ledger.year_end_models import YearEnd
from fundpool.matching.grants import Portion, hold_grant, pay_instalment
from fundpool.reports.activity import activity
from fundpool.reports.balances import balances
from fundpool.reports.scope import fund_scope, pool_scope
from fundpool.reports.trial_balance import trial_balance

ACTOR = Actor("test")
CITY, STREET, COMMUNITY = "440300", "440304001", "440304001001"
ELDER = "ELDER-440304001"
TODAY = today()
YEAR = TODAY.year - 1
DEC31, JAN1 = date(YEAR, 12, 31), date(YEAR + 1, 1, 1)
NOMINAL = ("410101", "410102", "4901", "5101", "5201")


def day(month, dom, year=YEAR):
    return date(year, month, dom)


def give(session, donor, code, amount, ref, when, currency="CNY"):
    service.record_donation(session, ACTOR, service.NewDonation(
        donor_id=donor.id, fund=get_fund(session, code), amount=amount, currency=currency,
        channel="bank_transfer", channel_ref=ref, received_date=when, issue_receipt=False))


def adjust(session, when, debit, credit, amount, memo):
    post_entry(session, ACTOR, NewEntry(kind="adjustment", effective_date=when, memo=memo,
                                        lines=(Line(debit, Side.DEBIT, amount),
                                               Line(credit, Side.CREDIT, amount))))


@pytest.fixture
def books(db, shenzhen):
    """Last year: the city 10,000.00 given and 50.00 bank interest (4901), 30.00 bank fees
    (5201); the street 3,000.00; its restricted elder fund 5,000.00, of which a 1,200.00 grant
    was paid in June; a community 100.00 HKD. This year: 800.00 to the street."""
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(
            code=ELDER, name="南园街道助老专项基金", kind="special", pool_code=STREET,
            restricted=True, restriction=Restriction(categories=("elderly_in_difficulty",))))
        donor = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "平安银行"))
        give(session, donor, CITY, 1_000_000, "C-1", day(3, 10))
        give(session, donor, STREET, 300_000, "S-1", day(4, 2))
        give(session, donor, ELDER, 500_000, "E-1", day(5, 20))
        adjust(session, day(9, 30), f"{CITY}:1002:CNY", f"{CITY}:4901:CNY", 5_000, "利息")
        adjust(session, day(10, 31), f"{CITY}:5201:CNY", f"{CITY}:1002:CNY", 3_000, "手续费")
        open_currency(session, ACTOR, get_fund(session, COMMUNITY), "HKD")
        give(session, donor, COMMUNITY, 10_000, "H-1", day(8, 8), "HKD")
        give(session, donor, STREET, 80_000, "S-2", JAN1)
    with db.transaction() as session:
        hold = hold_grant(session, ACTOR, [Portion(get_fund(session, ELDER), 200_000)], "长者助餐")
        pay_instalment(session, ACTOR, hold.id, [120_000], day(6, 15), "第一期")


def figures(session, code, as_of):
    lines = balances(session, fund_scope(get_fund(session, code)), as_of=as_of)
    return {(line.currency, line.chart_code): line.balance for line in lines}


def close(db, year=YEAR, when=TODAY):
    with db.transaction() as session:
        outcome = close_year(session, ACTOR, year, when)
        return outcome.year_end.year, outcome.created


def test_closing_moves_income_into_restricted_and_unrestricted_net_assets(db, books):
    assert close(db) == (YEAR, True)
    with db.sessions() as session:
        city, street = figures(session, CITY, DEC31), figures(session, STREET, DEC31)
        elder, community = figures(session, ELDER, DEC31), figures(session, COMMUNITY, DEC31)
        for fund in (city, street, elder, community):
            assert all(not balance for (_c, chart), balance in fund.items() if chart in NOMINAL)
        assert city[("CNY", "3101")] == 1_000_000 + 5_000 - 3_000
        assert street[("CNY", "3101")] == 300_000
        # the grant released 1,200.00 from restriction and spent it: 3,800.00 stays restricted
        assert elder[("CNY", "3102")] == 380_000 and elder.get(("CNY", "3101"), 0) == 0
        assert elder[("CNY", "1002")] == 380_000
        assert community[("HKD", "3101")] == 10_000
        closing = session.scalars(select(Entry).where(Entry.kind == "closing")).all()
        assert {e.effective_date for e in closing} == {DEC31}
        assert sorted(e.meta["fund"] for e in closing) == sorted([CITY, STREET, ELDER, COMMUNITY])
        elder_entry = next(e for e in closing if e.meta["fund"] == ELDER)
        assert {(p.account.chart_code, p.side, p.amount) for p in elder_entry.postings} == {
            ("410102", "debit", 380_000), ("410101", "debit", 120_000),
            ("5101", "credit", 120_000), ("3102", "credit", 380_000)}
        record = session.get(YearEnd, YEAR)
        assert record.entries == 4 and record.closed_by == "test"
        totals = {t.currency: t for t in record.totals}
        assert (totals["CNY"].income_unrestricted, totals["CNY"].income_restricted,
                totals["CNY"].expenses) == (1_000_000 + 5_000 + 300_000 + 120_000, 380_000,
                                            3_000 + 120_000)
        assert totals["CNY"].unrestricted_change == 1_302_000
        assert totals["HKD"].unrestricted_change == 10_000
        assert verify(session).ok
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "year.close"))
        assert event.target_id == str(YEAR) and event.details["entries"] == 4


def test_the_next_year_opens_with_the_closed_balances(db, books):
    with db.sessions() as session:
        city_scope = pool_scope(session, CITY)
        before = {(line.currency, line.chart_code): line.balance
                  for line in balances(session, city_scope, as_of=DEC31)}
    close(db)
    with db.sessions() as session:
        city_scope = pool_scope(session, CITY)
        opening = {(line.currency, line.chart_code): line.balance
                   for line in balances(session, city_scope, as_of=JAN1)}
        result_u = before[("CNY", "410101")] + before[("CNY", "4901")] - \
            before[("CNY", "5101")] - before[("CNY", "5201")]
        assert opening[("CNY", "3101")] == before.get(("CNY", "3101"), 0) + result_u
        assert opening[("CNY", "3102")] == before.get(("CNY", "3102"), 0) + \
            before[("CNY", "410102")]
        assert opening[("HKD", "3101")] == before[("HKD", "410101")]
        # 1 January holds the new year's first gift only
        assert opening[("CNY", "410101")] == 80_000
        assert all(not opening.get((currency, chart), 0) for currency in ("HKD",)
                   for chart in NOMINAL)
        assets_and_liabilities = {key: value - (80_000 if key == ("CNY", "1002") else 0)
                                  for key, value in opening.items()
                                  if key[1] not in NOMINAL + ("3101", "3102") and value}
        assert assets_and_liabilities == {key: value for key, value in before.items()
                                          if key[1] not in NOMINAL + ("3101", "3102") and value}
        post_closing = trial_balance(session, city_scope, DEC31)
        assert post_closing.balanced
        nominal = [line for line in post_closing.lines if line.chart_code in NOMINAL]
        assert nominal and all(line.balance_debit == line.balance_credit == 0
                               for line in nominal)
        new_year = activity(session, city_scope, JAN1, TODAY).totals["CNY"].rows()
        assert new_year["total_income"] == (80_000, 0)
        assert new_year["total_expenses"] == (0, 0)


def test_the_activity_statement_still_shows_the_year_after_the_close(db, books):
    with db.sessions() as session:
        before = {c: f.rows() for c, f in
                  activity(session, pool_scope(session, CITY), day(1, 1), DEC31).totals.items()}
    close(db)
    with db.sessions() as session:
        after = {c: f.rows() for c, f in
                 activity(session, pool_scope(session, CITY), day(1, 1), DEC31).totals.items()}
        spanning = activity(session, pool_scope(session, CITY), day(1, 1), TODAY).totals["CNY"]
    assert after == before
    assert after["CNY"]["donation_income"] == (1_300_000, 500_000)
    assert after["CNY"]["released_from_restriction"] == (120_000, -120_000)
    assert after["CNY"]["change_in_net_assets"] == (1_302_000, 380_000)
    assert spanning.rows()["donation_income"] == (1_380_000, 500_000)


def test_a_year_closes_once(db, books):
    assert close(db) == (YEAR, True)
    with db.sessions() as session:
        entries = session.scalar(select(func.count()).select_from(Entry))
    assert close(db) == (YEAR, False)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == entries
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "year.close")) == 1


def test_closing_the_year_closes_its_months_for_good(db, books):
    with db.transaction() as session:
        periods.close_period(session, ACTOR, f"{YEAR}-12", TODAY)
    close(db)  # the December already closed takes the closing entries all the same
    with db.sessions() as session:
        closed = session.scalars(select(Period.month).where(
            Period.closed, Period.month.like(f"{YEAR}-%"))).all()
        assert len(closed) == 12
    with pytest.raises(PeriodClosed), db.transaction() as session:
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "王五"))
        give(session, donor, STREET, 1_000, "late", day(11, 30))
    with pytest.raises(Conflict) as refused, db.transaction() as session:
        periods.reopen_period(session, ACTOR, f"{YEAR}-11", "补记一笔")
    assert refused.value.field == "month" and "closed for the year" in refused.value.message


@pytest.mark.parametrize("year, says", [(TODAY.year, "over"), (YEAR - 1, "nothing dated"),
                                        (99999, "written like"), ("2025", "written like"),
                                        (True, "written like")])
def test_a_year_not_over_or_without_a_ledger_is_refused(db, books, year, says):
    with pytest.raises(InvalidInput) as refused, db.transaction() as session:
        close_year(session, ACTOR, year, TODAY)
    assert refused.value.field == "year" and says in refused.value.message


def test_nothing_can_be_dated_before_a_closed_year(db, shenzhen):
    """When the books began in the closed year, its twelve closed months alone would still
    take an entry dated in the year before, and move the closed year's post-closing income."""
    bank, income = f"{CITY}:1002:CNY", f"{CITY}:410101:CNY"
    with db.transaction() as session:
        adjust(session, day(3, 1), bank, income, 100_000, "first gift on the books")
    assert close(db) == (YEAR, True)
    for when in (day(6, 1, YEAR - 1), day(12, 31, YEAR - 1), DEC31):
        with pytest.raises(PeriodClosed) as refused, db.transaction() as session:
            adjust(session, when, bank, income, 50_000, "an older gift, entered late")
        assert refused.value.field == "effective_date"
        assert f"on or before {YEAR}-12-31" in refused.value.message
    with db.transaction() as session:
        adjust(session, JAN1, bank, income, 50_000, "the new year's gift")
        assert figures(session, CITY, DEC31)[("CNY", "410101")] == 0


def test_years_close_in_order_and_a_loss_closes_too(db, shenzhen):
    """A gift of the year before last, given back last year: last year's income is negative,
    so its close debits unrestricted net assets."""
    with db.transaction() as session:
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "赵六"))
        give(session, donor, STREET, 50_000, "old", day(12, 1, YEAR - 1))
        adjust(session, day(2, 1), f"{STREET}:410101:CNY", f"{STREET}:1002:CNY", 20_000, "退回")
    with pytest.raises(Conflict) as refused:
        close(db)
    assert refused.value.field == "year" and f"{YEAR - 1} is not closed" in refused.value.message
    assert close(db, YEAR - 1) == (YEAR - 1, True)
    assert close(db) == (YEAR, True)
    with db.sessions() as session:
        street = figures(session, STREET, DEC31)
        assert street[("CNY", "3101")] == 30_000 and street[("CNY", "410101")] == 0
        entry = session.scalars(select(Entry).where(Entry.kind == "closing",
                                                    Entry.effective_date == DEC31)).one()
        assert {(p.account.chart_code, p.side, p.amount) for p in entry.postings} == {
            ("410101", "credit", 20_000), ("3101", "debit", 20_000)}
        assert session.get(YearEnd, YEAR).totals[0].unrestricted_change == -20_000


def test_a_year_with_nothing_of_its_own_closes_with_no_entry(db, shenzhen):
    with db.transaction() as session:
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "钱七"))
        give(session, donor, STREET, 50_000, "only", day(6, 1, YEAR - 1))
    assert close(db, YEAR - 1) == (YEAR - 1, True)
    assert close(db) == (YEAR, True)
    with db.sessions() as session:
        quiet = session.get(YearEnd, YEAR)
        assert (quiet.entries, quiet.totals) == (0, [])
        assert figures(session, STREET, DEC31)[("CNY", "3101")] == 50_000
        assert session.scalar(select(func.count()).select_from(Period).where(
            Period.closed, Period.month.like(f"{YEAR}-%"))) == 12


def test_a_fund_closed_during_the_year_still_closes_its_income_into_net_assets(db, shenzhen):
    """Its money went to the street and it closed; its income is history the close moves."""
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(code="COMM-440304001", name="南园社区基金",
                                            kind="community", pool_code=STREET,
                                            restricted=False))
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "孙八"))
        give(session, donor, "COMM-440304001", 40_000, "gone", day(3, 1))
        allocate(session, ACTOR, get_fund(session, "COMM-440304001"), get_fund(session, STREET),
                 40_000, "CNY", day(4, 1), "清算")
        close_fund(session, ACTOR, "COMM-440304001")
    assert close(db) == (YEAR, True)
    with db.sessions() as session:
        closed = figures(session, "COMM-440304001", DEC31)
        assert closed[("CNY", "410101")] == 0 and closed[("CNY", "3101")] == 40_000
        assert closed[("CNY", "1002")] == 0
        assert verify(session).ok


def test_a_fund_closed_after_the_year_does_not_block_its_close(db, shenzhen):
    """A one-off appeal gets a gift on 20 December, gives it back in full the next year and is
    closed: as of 31 December its 410101 still holds the gift, so the close must post to a
    closed fund's accounts — or that year, and every later one, could never close."""
    appeal = "APPEAL-440304001"
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(code=appeal, name="南园街道冬季募捐",
                                            kind="special", pool_code=STREET, restricted=False))
        donor = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "平安银行"))
        give(session, donor, appeal, 50_000, "A-1", day(12, 20))
    with db.transaction() as session:
        gift = session.scalars(select(Donation).where(Donation.channel_ref == "A-1")).one()
        service.refund(session, ACTOR, gift.id, 50_000, "捐赠人要求退回")  # dated today
    with db.transaction() as session:
        close_fund(session, ACTOR, appeal)
    assert close(db) == (YEAR, True)
    with db.sessions() as session:
        closed = figures(session, appeal, DEC31)
        assert (closed[("CNY", "410101")], closed[("CNY", "3101")]) == (0, 50_000)
        # This year's refund is this year's negative income, which next year's close nets.
        now = figures(session, appeal, TODAY)
        assert (now[("CNY", "410101")], now[("CNY", "3101")]) == (-50_000, 50_000)
        assert verify(session).ok


def test_a_close_that_does_not_check_is_refused_and_leaves_nothing(db, books, snapshot,
                                                                   monkeypatch):
    """Should the entries ever disagree with the balances computed before them (here: a
    bug that puts restricted income into unrestricted net assets), nothing is kept."""
    right = year_end._lines

    def everything_unrestricted(fund, currency, charts):
        return tuple(Line(line.account_code.replace(":3102:", ":3101:"), line.side, line.amount)
                     for line in right(fund, currency, charts))

    monkeypatch.setattr(year_end, "_lines", everything_unrestricted)
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        close(db)
    assert refused.value.field == "year" and "does not check" in refused.value.message
    assert f"{ELDER}:3101:CNY is 3800.00" in refused.value.message
    assert snapshot() == before


def test_the_close_year_command_closes_once(db, books, database_url, tmp_path):
    from click.testing import CliRunner

    from fundpool.cli import main
    env = {"FUNDPOOL_DATABASE_URL": database_url, "FUNDPOOL_INSTANCE_FOLDER": str(tmp_path),
           "FUNDPOOL_LOG_LEVEL": "WARNING"}
    first = CliRunner().invoke(main, ["close-year", str(YEAR)], env=env)
    assert first.exit_code == 0, first.output
    assert f"{YEAR} closed: 4 closing entries dated {YEAR}-12-31" in first.output
    assert "CNY: 非限定性净资产 3101 13020.00, 限定性净资产 3102 3800.00" in first.output
    again = CliRunner().invoke(main, ["close-year", str(YEAR)], env=env)
    assert again.exit_code == 0 and "already closed" in again.output
    early = CliRunner().invoke(main, ["close-year", str(TODAY.year)], env=env)
    assert early.exit_code == 2 and "only a year that is over" in early.output
