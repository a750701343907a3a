"""Funds, donations, receipts and refunds over a real database."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from fundpool.audit.log import Actor
from fundpool.donations import receipts, service
from fundpool.donations.models import Receipt
from fundpool.errors import Conflict, InsufficientFunds, InvalidInput
from fundpool.funds.models import Fund
from fundpool.funds.service import NewFund, Restriction, close_fund, create_fund, get_fund
from fundpool.ledger.balances import current
from fundpool.ledger.posting import post_entry, today
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.ledger.verify import verify
from fundpool.pools.service import get_pool

ACTOR = Actor("test")
STREET = "440304001"


@pytest.fixture
def elder(db, shenzhen):
    """A restricted special fund for the elderly of 南园街道, and a donor."""
    with db.transaction() as session:
        fund = create_fund(session, ACTOR, NewFund(
            code="ELDER-440304001", name="南园街道助老专项基金", kind="special", pool_code=STREET,
            restricted=True, restriction=Restriction(categories=("elderly_in_difficulty",))))
        donor = service.create_donor(session, ACTOR, service.NewDonor("enterprise", "平安银行"))
        receipts.register_book(session, ACTOR, get_pool(session, STREET), "44030001",
                               "0000000001", "0000000030")
        return fund.code, donor.id


def give(db, fund_code, donor_id, amount, ref, channel="bank_transfer", receipt=True):
    with db.transaction() as session:
        fund = get_fund(session, fund_code)
        return service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor_id, fund=fund, amount=amount, currency="CNY", channel=channel,
            channel_ref=ref, received_date=today(), purpose="助老", issue_receipt=receipt))


def balance(db, code):
    with db.sessions() as session:
        return current(session, code).balance


def test_every_pool_has_its_general_fund_owning_the_pool_accounts(db, shenzhen):
    with db.sessions() as session:
        general = get_fund(session, STREET)
        assert general.kind == "general"
        assert general.name == "南园街道资金池"
        assert current(session, f"{STREET}:1002:CNY").balance == 0


def test_a_donation_posts_restricted_income_and_takes_receipt_one(db, elder):
    fund, donor = elder
    recorded = give(db, fund, donor, 500_000, "BOC-1")
    assert balance(db, f"{fund}:1002:CNY") == 500_000
    assert balance(db, f"{fund}:410102:CNY") == 500_000
    assert recorded.donation.receipt.receipt_number == "0000000001"
    assert recorded.donation.receipt.receipt_code == "44030001"
    assert recorded.warning is None


def test_platform_gifts_go_to_the_clearing_account(db, elder):
    fund, donor = elder
    give(db, fund, donor, 990, "TX-1", channel="internet_platform", receipt=False)
    assert balance(db, f"{fund}:1009:CNY") == 990


def test_the_same_channel_reference_is_never_recorded_twice(db, elder):
    fund, donor = elder
    give(db, fund, donor, 100, "WX-7", channel="wechat_pay")
    with pytest.raises(Conflict, match="already recorded") as caught:
        give(db, fund, donor, 100, "WX-7", channel="wechat_pay")
    assert caught.value.field == "channel_ref"
    give(db, fund, donor, 100, "WX-7", channel="alipay")
    assert balance(db, f"{fund}:410102:CNY") == 200


def test_receipts_run_in_order_and_warn_before_the_book_runs_out(db, elder):
    fund, donor = elder
    numbers, warnings = [], []
    for n in range(30):
        recorded = give(db, fund, donor, 100, f"R-{n}")
        numbers.append(recorded.donation.receipt.number)
        warnings.append(recorded.warning)
    assert numbers == list(range(1, 31))
    assert warnings[8] is None and "numbers left" in warnings[10]
    with pytest.raises(Conflict, match="no receipt numbers left"):
        give(db, fund, donor, 100, "R-31")
    assert balance(db, f"{fund}:1002:CNY") == 3_000


def test_a_refund_reverses_and_voids_the_receipt(db, elder):
    fund, donor = elder
    donation = give(db, fund, donor, 10_000, "BOC-9").donation
    with db.transaction() as session:
        refunded = service.refund(session, ACTOR, donation.id, 4_000, "捐赠人要求")
        kept = refunded.receipt
        assert (kept.number, kept.amount) == (2, 6_000)
    assert balance(db, f"{fund}:1002:CNY") == 6_000
    with db.sessions() as session:
        first = session.scalar(select(Receipt).where(Receipt.number == 1))
        assert first.void_reason == "捐赠人要求"
    with pytest.raises(InvalidInput, match="at most 60.00 CNY"):
        with db.transaction() as session:
            service.refund(session, ACTOR, donation.id, 6_001, "again")


def test_a_refund_is_refused_when_the_fund_has_spent_the_money(db, elder):
    fund, donor = elder
    donation = give(db, fund, donor, 10_000, "BOC-10").donation
    with db.transaction() as session:
        post_entry(session, ACTOR, NewEntry("grant", today(), (
            Line(f"{fund}:5101:CNY", Side.DEBIT, 9_000),
            Line(f"{fund}:1002:CNY", Side.CREDIT, 9_000))))
    with pytest.raises(InsufficientFunds):
        with db.transaction() as session:
            service.refund(session, ACTOR, donation.id, 10_000, "too late")


def test_gifts_outside_a_funds_validity_are_refused(db, shenzhen):
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(
            code="SUMMER-440304001", name="暑期儿童项目", kind="special", pool_code=STREET,
            restricted=True, restriction=Restriction(valid_to=today() - timedelta(days=1))))
        donor = service.create_donor(session, ACTOR, service.NewDonor("individual", "", True))
    with pytest.raises(Conflict, match="is outside"):
        give(db, "SUMMER-440304001", donor.id, 100, "X-1", receipt=False)


@pytest.mark.parametrize("new, says", [
    (dict(code="elder"), "capital letters"),
    (dict(kind="general"), "already has its general fund"),
    (dict(kind="named"), "named for"),
    (dict(restricted=False, restriction=Restriction(categories=("disability",))),
     "unrestricted fund has no restriction"),
    (dict(restriction=Restriction(categories=("pets",))), "unknown beneficiary"),
    (dict(restriction=Restriction(area_codes=("440304002",))), "outside the fund's pool"),
    (dict(restriction=Restriction(valid_from=date(2026, 2, 1), valid_to=date(2026, 1, 1))),
     "after valid_to"),
])
def test_bad_funds_are_refused(db, shenzhen, new, says):
    base = dict(code="KIDS-440304001", name="儿童基金", kind="special", pool_code=STREET,
                restricted=True)
    with pytest.raises(InvalidInput, match=says):
        with db.transaction() as session:
            create_fund(session, ACTOR, NewFund(**{**base, **new}))
    with db.sessions() as session:
        assert session.scalar(select(Fund).where(Fund.code == "KIDS-440304001")) is None


def test_a_fund_with_money_cannot_close(db, elder):
    fund, donor = elder
    give(db, fund, donor, 100, "C-1", receipt=False)
    with pytest.raises(Conflict, match="still has money"):
        with db.transaction() as session:
            close_fund(session, ACTOR, fund)


def test_the_books_still_verify(db, elder):
    fund, donor = elder
    give(db, fund, donor, 100, "V-1")
    with db.sessions() as session:
        assert verify(session).ok


def test_an_empty_fund_closes_and_takes_no_more_gifts(db, elder):
    fund, donor = elder
    with db.transaction() as session:
        assert close_fund(session, ACTOR, fund).closed_at is not None
    with pytest.raises(Conflict, match="is closed"):
        give(db, fund, donor, 100, "Z-1", receipt=False)


@pytest.mark.postgres
def test_receipts_stay_gapless_under_concurrent_donations(db, elder):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier
    fund, donor = elder
    barrier = Barrier(40)

    def one(n):
        barrier.wait()
        try:
            return give(db, fund, donor, 100, f"P-{n}").donation.id
        except Conflict:
            return None

    with ThreadPoolExecutor(40) as pool:
        made = [d for d in pool.map(one, range(40)) if d is not None]
    with db.sessions() as session:
        numbers = sorted(session.scalars(select(Receipt.number)).all())
    assert len(made) == 30
    assert numbers == list(range(1, 31))


@pytest.mark.postgres
def test_overlapping_books_registered_at_once_are_not_both_kept(db, shenzhen):
    """The second registration waits for the first's commit, then finds the overlap."""
    from threading import Event, Thread
    first_in, second_done, release = Event(), Event(), Event()
    outcome = {}

    def register(name, pool, first, last, ready=None):
        if ready is not None:
            ready.wait(10)
        try:
            with db.transaction() as session:
                receipts.register_book(session, ACTOR, get_pool(session, pool), "44030099",
                                       first, last)
                if name == "first":
                    first_in.set()
                    release.wait(10)          # uncommitted while the other registers
            outcome[name] = "ok"
        except Conflict as exc:
            outcome[name] = exc.message
        finally:
            if name == "second":
                second_done.set()

    threads = [Thread(target=register, args=("first", STREET, "0000000001", "0000000100")),
               Thread(target=register, args=("second", "440304002", "0000000050",
                                             "0000000150", first_in))]
    for thread in threads:
        thread.start()
    first_in.wait(10)
    # Let the first commit once the second is either done or waiting for its turn.
    while not second_done.wait(0.01) and not _waiting_for_a_lock(db):
        pass
    release.set()
    for thread in threads:
        thread.join(30)
    assert outcome == {"first": "ok", "second": "numbers 0000000050–0000000150 of 44030099 "
                                                "overlap a book already registered"}


def _waiting_for_a_lock(db) -> bool:
    with db.engine.connect() as connection:
        return bool(connection.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")))


def test_a_gift_in_kind_posts_goods_and_needs_its_description(db, elder):
    fund, donor = elder
    with db.transaction() as session:
        recorded = service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor, fund=get_fund(session, fund), amount=300_000, currency="CNY",
            channel="in_kind", channel_ref="GOODS-1", received_date=today(),
            in_kind_description="轮椅 10 台", valuation_basis="发票 No.12345678",
            issue_receipt=False))
        assert recorded.donation.valuation_basis == "发票 No.12345678"
    assert balance(db, f"{fund}:1201:CNY") == 300_000
    with pytest.raises(InvalidInput, match="needs its valuation basis"):
        with db.transaction() as session:
            service.record_donation(session, ACTOR, service.NewDonation(
                donor_id=donor, fund=get_fund(session, fund), amount=100, currency="CNY",
                channel="in_kind", channel_ref="GOODS-2", received_date=today(),
                in_kind_description="米 50 袋", issue_receipt=False))
