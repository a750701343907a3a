"""Pass-through gifts (受托代理) over a real database: booked to 1701 / 2601, not income;
paid on in parts, never beyond the gift; refunds give back only what is still held."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import func, select

from fundpool.audit.log import Actor
from fundpool.donations import pass_through, receipts, service
from fundpool.donations.models import Donation, PassThroughPayment, Receipt
from fundpool.donations.pass_through import PassThrough, PayOn
from fundpool.errors import Conflict, InvalidInput
from fundpool.funds.service import NewFund, Restriction, close_fund, create_fund, get_fund
from fundpool.ledger.balances import current
from fundpool.ledger.models import Account, Entry
from fundpool.ledger.posting import today
from fundpool.ledger.verify import verify
from fundpool.pools.service import get_pool

ACTOR = Actor("test")
STREET = "440304001"
FUND = "ELDER-440304001"
RECIPIENT = "南园街道 王某某（重病患儿家庭）"


@pytest.fixture
def donor(db, shenzhen):
    """A restricted special fund, a donor, and a receipt book for the street."""
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(
            code=FUND, name="南园街道助老专项基金", kind="special", pool_code=STREET,
            restricted=True, restriction=Restriction(categories=("elderly_in_difficulty",))))
        receipts.register_book(session, ACTOR, get_pool(session, STREET), "44030001",
                               "0000000001", "0000000030")
        return service.create_donor(session, ACTOR, service.NewDonor("individual", "张三")).id


def give(db, donor, amount=100_000, ref="BOC-PT-1", recipient=RECIPIENT, channel="bank_transfer",
         **extra):
    with db.transaction() as session:
        return service.record_donation(session, ACTOR, service.NewDonation(
            donor_id=donor, fund=get_fund(session, FUND), amount=amount, currency="CNY",
            channel=channel, channel_ref=ref, received_date=today(), purpose="指定受助人",
            pass_through=PassThrough(recipient, "转入受助人监护人账户") if recipient else None,
            **extra)).donation


def pay(db, donation_id, amount, day=None, reference="TRF-1"):
    with db.transaction() as session:
        return pass_through.pay_on(session, ACTOR, donation_id,
                                   PayOn(amount, day or today(), reference, "第一笔"))


def balances(db):
    with db.sessions() as session:
        return {chart: current(session, f"{FUND}:{chart}:CNY").balance
                for chart in ("1002", "1009", "1701", "2601", "410101", "410102")}


def held(amount):
    return {"1002": 0, "1009": 0, "1701": amount, "2601": amount, "410101": 0, "410102": 0}


def test_a_pass_through_gift_is_entrusted_not_income_and_takes_no_receipt(db, donor):
    donation = give(db, donor)
    assert balances(db) == held(100_000)
    assert donation.pass_through_recipient == RECIPIENT
    assert donation.pass_through_note == "转入受助人监护人账户"
    assert (donation.paid_on, donation.outstanding) == (0, 100_000)
    assert donation.receipt is None
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Receipt)) == 0
        entry = session.get(Entry, donation.entry_id)
        assert entry.kind == "donation"
        assert entry.meta == {"recipient": RECIPIENT}


def test_a_platform_pass_through_gift_is_entrusted_too(db, donor):
    give(db, donor, 990, "TX-PT-1", channel="internet_platform")
    assert balances(db) == held(990)


def test_ordinary_gifts_still_post_income_and_take_receipts(db, donor):
    donation = give(db, donor, recipient=None)
    assert donation.pass_through_recipient is None and donation.outstanding == 0
    assert donation.receipt.receipt_number == "0000000001"
    assert balances(db)["410102"] == 100_000 and balances(db)["1701"] == 0


@pytest.mark.parametrize("extra, field, says", [
    ({"recipient": "   "}, "pass_through.recipient", "names the recipient"),
    ({"issue_receipt": True}, "issue_receipt", "takes no 公益事业捐赠票据"),
])
def test_bad_pass_through_gifts_are_refused_and_write_nothing(db, donor, snapshot, extra, field,
                                                              says):
    before = snapshot()
    with pytest.raises(InvalidInput, match=says) as caught:
        give(db, donor, **extra)
    assert caught.value.field == field
    assert snapshot() == before


def test_paid_on_in_parts_until_nothing_is_held(db, donor):
    donation = give(db, donor)
    first = pay(db, donation.id, 60_000)
    assert (first.paid_on, first.outstanding) == (60_000, 40_000)
    assert balances(db) == held(40_000)
    last = pay(db, donation.id, 40_000, reference="TRF-2")
    assert (last.paid_on, last.outstanding) == (100_000, 0)
    assert balances(db) == held(0)
    assert [(p.amount, p.reference) for p in last.pass_through_payments] == [
        (60_000, "TRF-1"), (40_000, "TRF-2")]
    with db.sessions() as session:
        entry = session.get(Entry, last.pass_through_payments[0].entry_id)
        assert entry.kind == "disbursement"
        assert entry.external_ref == "TRF-1"
        assert RECIPIENT in entry.memo and "第一笔" in entry.memo
        assert [(p.account.chart_code, p.side, p.amount) for p in entry.postings] == [
            ("2601", "debit", 60_000), ("1701", "credit", 60_000)]
        assert verify(session).ok
    with pytest.raises(InvalidInput, match="at most 0.00 CNY"):
        pay(db, donation.id, 1)


def test_paying_on_more_than_is_held_is_refused_and_writes_nothing(db, donor, snapshot):
    donation = give(db, donor)
    pay(db, donation.id, 70_000)
    before = snapshot()
    with pytest.raises(InvalidInput, match="at most 300.00 CNY of this gift is still held") \
            as caught:
        pay(db, donation.id, 30_001)
    assert caught.value.field == "amount"
    assert snapshot() == before


def test_an_ordinary_gift_cannot_be_paid_on(db, donor, snapshot):
    donation = give(db, donor, recipient=None)
    before = snapshot()
    with pytest.raises(Conflict, match="not a pass-through gift") as caught:
        pay(db, donation.id, 100)
    assert caught.value.field == "donation_id"
    assert snapshot() == before


@pytest.mark.parametrize("days, says", [(1, "after today"), (-1, "before the gift")])
def test_a_payment_is_dated_between_the_gift_and_today(db, donor, days, says):
    donation = give(db, donor)
    with db.transaction() as session:  # received yesterday
        session.get(Donation, donation.id).received_date = today() - timedelta(days=1)
    day = today() + timedelta(days=1) if days > 0 else today() - timedelta(days=2)
    with pytest.raises(InvalidInput, match=says) as caught:
        pay(db, donation.id, 100, day=day)
    assert caught.value.field == "paid_date"


def test_a_refund_gives_back_only_what_is_still_held(db, donor):
    donation = give(db, donor)
    pay(db, donation.id, 60_000)
    says = "at most 400.00 CNY .*600.00 CNY of it was already paid on to"
    with pytest.raises(InvalidInput, match=says) as caught, db.transaction() as session:
        service.refund(session, ACTOR, donation.id, 40_001, "捐赠人撤回")
    assert caught.value.field == "amount"
    with db.transaction() as session:
        refunded = service.refund(session, ACTOR, donation.id, 40_000, "捐赠人撤回")
        assert (refunded.refunded, refunded.paid_on, refunded.outstanding) == (40_000, 60_000, 0)
        assert refunded.receipt is None
    assert balances(db) == held(0)
    with pytest.raises(InvalidInput, match="at most 0.00 CNY"):
        pay(db, donation.id, 1)


def test_a_fund_still_holding_a_pass_through_gift_cannot_close(db, donor):
    donation = give(db, donor)
    with pytest.raises(Conflict, match=f"{FUND}:1701:CNY"), db.transaction() as session:
        close_fund(session, ACTOR, FUND)
    pay(db, donation.id, 100_000)
    with db.transaction() as session:
        assert close_fund(session, ACTOR, FUND).closed_at is not None


def test_every_fund_opens_the_entrusted_accounts(db, donor):
    with db.sessions() as session:
        opened = {(a.code, a.type, a.no_overdraft) for a in session.scalars(
            select(Account).where(Account.chart_code.in_(("1701", "2601"))))}
    assert {(f"{owner}:{chart}:CNY", kind, True) for owner in (FUND, STREET)
            for chart, kind in (("1701", "asset"), ("2601", "liability"))} <= opened


@pytest.mark.postgres
def test_concurrent_payments_never_overpay(db, donor):
    """20 payments of 100.00 at once on a 1000.00 gift: exactly 10 land."""
    donation = give(db, donor)
    barrier = Barrier(20)

    def one(n):
        barrier.wait()
        try:
            pay(db, donation.id, 10_000, reference=f"TRF-{n}")
            return True
        except InvalidInput:
            return False

    with ThreadPoolExecutor(20) as workers:
        landed = sum(workers.map(one, range(20)))
    assert landed == 10
    assert balances(db) == held(0)
    with db.sessions() as session:
        assert session.get(Donation, donation.id).paid_on == 100_000
        assert session.scalar(select(func.count()).select_from(PassThroughPayment)) == 10
        assert verify(session).ok
