"""Reports: rollups, as-of balances, trial balance, activity statement, fund statements."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from fundpool.audit.log import Actor
from fundpool.donations import service
from fundpool.donations.models import Donation, Donor
from fundpool.funds.allocation import allocate
from fundpool.funds.service import NewFund, Restriction, create_fund, get_fund
from fundpool.ledger.accounts import open_currency
from fundpool.ledger.posting import today
from fundpool.matching import approval
from fundpool.matching.grants import Portion, hold_grant, pay_instalment
from fundpool.reports.activity import activity
from fundpool.reports.balances import balances
from fundpool.reports.scope import fund_scope, pool_scope
from fundpool.reports.statements import statement
from fundpool.reports.trial_balance import trial_balance
from tests.integration.test_matching_runs import (  # noqa: F401  (scene is a fixture)
    decide,
    run,
    scene,
    the_match,
)

ACTOR = Actor("test")
CITY, FUTIAN, STREET, OTHER = "440300", "440304", "440304001", "440304002"
COMMUNITY = "440304001001"
ELDER = "ELDER-440304001"
TODAY = today()
EARLY, MIDDLE = TODAY - timedelta(days=20), TODAY - timedelta(days=10)


def give(session, donor, code, amount, ref, day, currency="CNY"):
    service.record_donation(session, ACTOR, service.NewDonation(
        donor_id=donor.id, fund=get_fund(session, code), amount=amount, currency=currency,
        channel="bank_transfer", channel_ref=ref, received_date=day, issue_receipt=False))


@pytest.fixture
def books(db, shenzhen):
    """City 10,000.00 (1,000.00 allocated to 福田区 in the middle), the street 3,000.00
    unrestricted, its elder fund 5,000.00 restricted (anonymous) of which a 1,200.00 grant
    is paid today, the other street 700.00, a community 100.00 HKD."""
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(
            code=ELDER, name="南园街道助老专项基金", kind="special", pool_code=STREET,
            restricted=True, restriction=Restriction(categories=("elderly_in_difficulty",))))
        bank = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "平安银行"))
        anonymous = service.create_donor(session, ACTOR, service.NewDonor(
            "individual", "李四", anonymous=True))
        give(session, bank, CITY, 1_000_000, "C-1", EARLY)
        give(session, bank, STREET, 300_000, "S-1", EARLY)
        give(session, anonymous, ELDER, 500_000, "E-1", EARLY)
        give(session, bank, OTHER, 70_000, "O-1", MIDDLE)
        allocate(session, ACTOR, get_fund(session, CITY), get_fund(session, FUTIAN), 100_000,
                 "CNY", MIDDLE, "拨付福田区")
    with db.transaction() as session:
        open_currency(session, ACTOR, get_fund(session, COMMUNITY), "HKD")
        give(session, bank_donor(session), COMMUNITY, 10_000, "H-1", MIDDLE, "HKD")
    with db.transaction() as session:
        hold = hold_grant(session, ACTOR, [Portion(get_fund(session, ELDER), 200_000)], "长者助餐项目")
        pay_instalment(session, ACTOR, hold.id, [120_000], TODAY, "第一期")


def bank_donor(session):
    return session.scalar(select(Donor).where(Donor.name == "平安银行"))


def figures(lines):
    return {(line.currency, line.chart_code): line.balance for line in lines}


def test_a_rollup_is_the_sum_of_its_children(db, books):
    with db.sessions() as session:
        district = figures(balances(session, pool_scope(session, FUTIAN)))
        own = figures(balances(session, pool_scope(session, FUTIAN, subtree=False)))
        parts = [own] + [figures(balances(session, pool_scope(session, code)))
                         for code in (STREET, OTHER)]
        summed = {}
        for part in parts:
            for key, value in part.items():
                summed[key] = summed.get(key, 0) + value
        assert district == summed
        assert district[("CNY", "1002")] == 100_000 + 300_000 + 500_000 - 120_000 + 70_000
        assert district[("HKD", "1002")] == 10_000
        assert district[("CNY", "410102")] == 500_000 - 120_000
        city = figures(balances(session, pool_scope(session, CITY)))
        assert city[("CNY", "1002")] == 1_000_000 + 300_000 + 500_000 - 120_000 + 70_000
        elder = figures(balances(session, fund_scope(get_fund(session, ELDER))))
        assert elder[("CNY", "1002")] == 380_000 and elder[("CNY", "5101")] == 120_000


def test_as_of_excludes_later_entries(db, books):
    with db.sessions() as session:
        before = figures(balances(session, pool_scope(session, FUTIAN), as_of=EARLY))
        assert before[("CNY", "1002")] == 800_000
        assert ("HKD", "1002") not in before
        yesterday = figures(balances(session, pool_scope(session, FUTIAN),
                                     as_of=TODAY - timedelta(days=1)))
        assert yesterday[("CNY", "1002")] == 970_000
        assert ("CNY", "5101") not in yesterday  # the grant is paid today
        now = figures(balances(session, pool_scope(session, FUTIAN)))
        as_of_today = figures(balances(session, pool_scope(session, FUTIAN), as_of=TODAY))
        assert as_of_today == {key: value for key, value in now.items() if key in as_of_today}
        assert now[("CNY", "1002")] == 850_000


def test_the_trial_balance_balances(db, books):
    with db.sessions() as session:
        city = trial_balance(session, pool_scope(session, CITY), TODAY)
        assert city.balanced
        by_currency = {t.currency: t for t in city.totals}
        assert by_currency["CNY"].debits == by_currency["CNY"].credits
        assert by_currency["CNY"].boundary == 0
        assert by_currency["HKD"].balance_debit == by_currency["HKD"].balance_credit == 10_000
        lines = {line.account: line for line in city.lines}
        assert lines[f"{CITY}:1002:CNY"].debits == 1_000_000
        assert lines[f"{CITY}:1002:CNY"].credits == 100_000
        assert lines[f"{ELDER}:1002:CNY"].balance_debit == 380_000
        # 福田区 received 1,000.00 from the city, outside its subtree: shown, not hidden
        district = trial_balance(session, pool_scope(session, FUTIAN), TODAY)
        cny = next(t for t in district.totals if t.currency == "CNY")
        assert cny.boundary == 100_000 and district.balanced
        assert cny.debits - cny.credits == 100_000
        early = trial_balance(session, pool_scope(session, CITY), EARLY)
        assert early.balanced and f"{OTHER}:1002:CNY" not in {l.account for l in early.lines}


def test_the_activity_statement_splits_restricted_and_unrestricted(db, books):
    with db.sessions() as session:
        report = activity(session, pool_scope(session, STREET), EARLY, TODAY)
        rows = report.totals["CNY"].rows()
        assert rows["donation_income"] == (300_000, 500_000)
        assert rows["other_income"] == (0, 0)
        assert rows["program_costs"] == (120_000, 0)
        assert rows["released_from_restriction"] == (120_000, -120_000)
        assert rows["change_in_net_assets"] == (300_000, 380_000)
        elder = report.by_fund[("CNY", ELDER)].rows()
        assert elder["change_in_net_assets"] == (0, 380_000)
        assert report.by_fund[("CNY", STREET)].rows()["donation_income"] == (300_000, 0)
        # a period before the grant shows the gift but no cost and no release
        earlier = activity(session, pool_scope(session, STREET), EARLY, MIDDLE).totals["CNY"]
        assert earlier.rows()["released_from_restriction"] == (0, 0)
        assert earlier.rows()["donation_income"] == (300_000, 500_000)
        # the change in net assets equals the change in the street's net money
        city = activity(session, pool_scope(session, CITY), EARLY, TODAY)
        assert sum(city.totals["CNY"].rows()["change_in_net_assets"]) == 1_750_000


def test_a_statement_runs_from_opening_to_closing(db, books):
    with db.transaction() as session:
        hold_grant(session, ACTOR, [Portion(get_fund(session, STREET), 50_000)], "助学项目")
    with db.sessions() as session:
        elder = statement(session, get_fund(session, ELDER), MIDDLE, TODAY).currencies
        assert [c.currency for c in elder] == ["CNY"]
        (cny,) = elder
        assert cny.opening == 500_000
        assert [(m.kind, m.amount, m.counterparty) for m in cny.movements] == [
            ("disbursement", -120_000, "长者助餐项目")]
        assert cny.closing == 380_000 and cny.held == 80_000

        street = statement(session, get_fund(session, FUTIAN), EARLY, TODAY).currencies[0]
        assert street.opening == 0
        assert [(m.kind, m.amount, m.balance) for m in street.movements] == [
            ("allocation", 100_000, 100_000)]
        assert street.movements[0].counterparty.startswith(CITY)

        whole = statement(session, get_fund(session, ELDER), EARLY, TODAY).currencies[0]
        assert whole.movements[0].counterparty == "匿名捐赠人"
        running = whole.opening
        for movement in whole.movements:
            running += movement.amount
            assert movement.balance == running
        assert whole.closing == whole.opening + sum(m.amount for m in whole.movements)

        general = statement(session, get_fund(session, STREET), EARLY, TODAY).currencies[0]
        assert general.held == 50_000 and general.movements[0].counterparty == "平安银行"


def test_the_trial_balance_command_prints_a_balanced_table(db, books, database_url, tmp_path):
    from click.testing import CliRunner

    from fundpool.cli import main
    env = {"FUNDPOOL_DATABASE_URL": database_url, "FUNDPOOL_INSTANCE_FOLDER": str(tmp_path),
           "FUNDPOOL_LOG_LEVEL": "WARNING"}
    result = CliRunner().invoke(main, ["report", "trial-balance"], env=env)
    assert result.exit_code == 0, result.output
    assert "trial balance of 440300" in result.output
    assert f"{ELDER}:1002:CNY" in result.output
    total = next(line for line in result.output.splitlines() if line.startswith("合计 total CNY"))
    assert "balanced" in total and total.split()[-1] == total.split()[-2]
    district = CliRunner().invoke(main, ["report", "trial-balance", "--pool", FUTIAN,
                                         "--as-of", MIDDLE.isoformat()], env=env)
    assert district.exit_code == 0 and "子树外拨入净额 CNY" in district.output
    future = CliRunner().invoke(main, ["report", "trial-balance", "--as-of",
                                       (TODAY + timedelta(days=2)).isoformat()], env=env)
    assert future.exit_code == 2 and "future" in future.output


def test_a_grant_payment_names_the_project_it_paid(db, scene):  # noqa: F811
    """An approved match paid in two instalments: each payment names the proposal's title
    (the second comes from the hold made again for the rest)."""
    match_id = the_match(db, run(db)).id
    decide(db, "approve", match_id)
    for amount in (1_000_00, 600_00):
        with db.transaction() as session:
            approval.disburse(session, ACTOR, match_id, amount, TODAY, "")
    with db.sessions() as session:
        (cny,) = statement(session, get_fund(session, STREET), TODAY, TODAY).currencies
        paid = [m for m in cny.movements if m.kind == "disbursement"]
        assert [m.counterparty for m in paid] == ["滨河长者助餐", "滨河长者助餐"]
        assert cny.held == 1_500_00 - 750_00 - 450_00
        assert cny.closing == cny.opening + sum(m.amount for m in cny.movements)


def test_a_refund_names_its_donor(db, books):
    with db.transaction() as session:
        gift = session.scalar(select(Donation).where(Donation.channel_ref == "E-1"))
        service.refund(session, ACTOR, gift.id, 10_000, "捐赠人要求")
    with db.sessions() as session:
        (cny,) = statement(session, get_fund(session, ELDER), TODAY, TODAY).currencies
        refund = next(m for m in cny.movements if m.kind == "refund")
        assert (refund.counterparty, refund.amount) == ("匿名捐赠人", -10_000)
        assert cny.closing == 500_000 - 120_000 - 10_000


def test_a_batch_of_gifts_in_one_entry_names_no_single_donor(db, books, tmp_path):
    """A bank file imported in bulk is one entry per fund and day holding every gift: the
    statement names the batch (its memo), never one of its donors as if they gave it all."""
    from fundpool.donations.importer import Settings, import_donations
    day = MIDDLE.isoformat()
    path = tmp_path / "bank.csv"
    path.write_text("transaction_id,time,amount,donor_name,fund_code,purpose\n"
                    f"BK-1,{day} 09:00:00,100.00,王五,{STREET},银行批量\n"
                    f"BK-2,{day} 10:00:00,250.00,赵六,{STREET},银行批量\n", encoding="utf-8")
    report = import_donations(db, ACTOR, path, Settings(channel="bank_transfer"))
    assert report.imported == 2
    with db.sessions() as session:
        (cny,) = statement(session, get_fund(session, STREET), MIDDLE, MIDDLE).currencies
        (batch,) = cny.movements
        assert batch.amount == 35_000
        assert batch.counterparty == batch.memo and "2 gift(s)" in batch.memo
