"""Pass-through gifts (受托代理业务): money a donor gives through the pool for a recipient the
donor names.

Under 民间非营利组织会计制度 such a gift is not the pool's income: the pool holds it as an
agent and owes it to the recipient. It is booked on the fund the donor gave through:

- received: Dr 1701 受托代理资产 / Cr 2601 受托代理负债 (whatever the channel — the cash does
  reach the bank or the platform, but the books show it as entrusted, not as the pool's
  spendable 1002; a gift in kind is entrusted goods at its stated valuation);
- paid on to the recipient, in one payment or several: Dr 2601 / Cr 1701;
- refunded to the donor (what is not yet paid on): Dr 2601 / Cr 1701 as well.

Both accounts are ``no_overdraft``, so the ledger itself never lets a fund pay on more than
it received; each donation's own limit (``amount − refunded − paid_on``) is checked under the
donation's row lock, so two payments at once never overpay one gift.

Receipts: a pass-through gift takes **no** 公益事业捐赠票据. The receipt acknowledges a gift
to the organisation, entered as its donation income; a pass-through gift is neither — the pool
only carries it to the recipient the donor chose and has no say in its use. The recipient is
the one who acknowledges it; the pool's record is the entry, the recipient's name and each
payment on. ``issue_receipt`` is therefore off by default for these gifts and refused if asked
for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.donations.models import Donation, PassThroughPayment
from fundpool.errors import Conflict, InvalidInput, NotFound, PeriodClosed
from fundpool.funds.models import Fund
from fundpool.ledger.chart import account_code
from fundpool.ledger.money import format_amount
from fundpool.ledger.posting import post_entry, today
from fundpool.ledger.values import Line, NewEntry, Side

ENTRUSTED_ASSETS = "1701"       # 受托代理资产
ENTRUSTED_LIABILITIES = "2601"  # 受托代理负债
RECIPIENT_MAX, NOTE_MAX = 200, 500


@dataclass(frozen=True, slots=True)
class PassThrough:
    """The recipient the donor designated, and an optional note (e.g. how to reach them)."""

    recipient: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PayOn:
    """One payment of a pass-through gift on to its recipient."""

    amount: int
    paid_date: date
    reference: str | None = None
    memo: str = ""


def assets_account(fund: Fund, currency: str) -> str:
    return account_code(fund.code, ENTRUSTED_ASSETS, currency)


def liabilities_account(fund: Fund, currency: str) -> str:
    return account_code(fund.code, ENTRUSTED_LIABILITIES, currency)


def receiving_lines(fund: Fund, currency: str, amount: int) -> tuple[Line, Line]:
    """Dr 1701 受托代理资产 / Cr 2601 受托代理负债."""
    return (Line(assets_account(fund, currency), Side.DEBIT, amount),
            Line(liabilities_account(fund, currency), Side.CREDIT, amount))


def handing_over_lines(fund: Fund, currency: str, amount: int) -> tuple[Line, Line]:
    """Dr 2601 / Cr 1701: paid on to the recipient, or given back to the donor."""
    return (Line(liabilities_account(fund, currency), Side.DEBIT, amount),
            Line(assets_account(fund, currency), Side.CREDIT, amount))


def checked(designation: PassThrough, issue_receipt: bool | None) -> PassThrough:
    """The designation with its text trimmed; refused without a recipient, or with a receipt."""
    recipient = designation.recipient.strip()
    if not recipient:
        raise InvalidInput("a pass-through gift names the recipient it is for",
                           "pass_through.recipient")
    if len(recipient) > RECIPIENT_MAX:
        raise InvalidInput(f"a recipient's name is at most {RECIPIENT_MAX} characters",
                           "pass_through.recipient")
    note = (designation.note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidInput(f"the note is at most {NOTE_MAX} characters", "pass_through.note")
    if issue_receipt:
        raise InvalidInput("a pass-through gift is not the pool's income and takes no "
                           "公益事业捐赠票据; leave issue_receipt out or false", "issue_receipt")
    return PassThrough(recipient, note)


def pay_on(session: Session, actor: Actor, donation_id: int, payment: PayOn) -> Donation:
    """Pay (part of) a pass-through gift on to its recipient: Dr 2601 / Cr 1701 on the fund.

    The donation row is locked first, so concurrent payments on one gift queue and each sees
    what the one before it paid; never more than is still held (amount − refunded − paid on).
    """
    donation = _locked(session, donation_id)
    if not donation.is_pass_through:
        raise Conflict(f"donation {donation.id} is not a pass-through gift: it is the fund's "
                       "income and is spent by grants, not paid on", "donation_id")
    if payment.amount <= 0:
        raise InvalidInput("the amount paid on must be more than zero", "amount")
    if payment.paid_date > today():
        raise InvalidInput(f"a payment cannot be dated after today ({today()})", "paid_date")
    if payment.paid_date < donation.received_date:
        raise InvalidInput(f"a payment cannot be dated before the gift was received "
                           f"({donation.received_date})", "paid_date")
    currency, left = donation.currency, donation.outstanding
    if payment.amount > left:
        raise InvalidInput(
            f"at most {format_amount(left, currency)} {currency} of this gift is still held for "
            f"{donation.pass_through_recipient}: of the {format_amount(donation.amount, currency)} "
            f"{currency} gift, {format_amount(donation.paid_on, currency)} was paid on and "
            f"{format_amount(donation.refunded, currency)} refunded", "amount")
    memo = f"pass-through donation {donation.id} paid on to {donation.pass_through_recipient}"
    if payment.memo.strip():
        memo += f": {payment.memo.strip()}"
    try:
        entry = post_entry(session, actor, NewEntry(
            kind="disbursement", effective_date=payment.paid_date, memo=memo[:500],
            external_ref=(payment.reference
                          or f"{donation.channel}:{donation.channel_ref}")[:100],
            metadata={"donation_id": str(donation.id),
                      "recipient": donation.pass_through_recipient},
            lines=handing_over_lines(donation.fund, currency, payment.amount)))
    except PeriodClosed as exc:
        raise PeriodClosed(exc.message, "paid_date") from None
    donation.paid_on += payment.amount
    session.add(PassThroughPayment(donation_id=donation.id, amount=payment.amount,
                                   paid_date=payment.paid_date, reference=payment.reference,
                                   memo=payment.memo.strip(), entry_id=entry.id))
    record(session, actor, "donation.pay_on", "donation", donation.id, entry_id=entry.id,
           amount=payment.amount, recipient=donation.pass_through_recipient,
           reference=payment.reference)
    session.flush()
    session.refresh(donation)
    return donation


def _locked(session: Session, donation_id: int) -> Donation:
    donation = session.scalar(
        select(Donation).where(Donation.id == donation_id).with_for_update(of=Donation)
        .execution_options(populate_existing=True))
    if donation is None:
        raise NotFound(f"there is no donation {donation_id}", "donation_id")
    return donation
