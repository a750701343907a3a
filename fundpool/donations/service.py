"""Recording donors, donations and refunds; each donation posts its entry in the same
transaction as its record, and takes its receipt number there too. A pass-through gift
(受托代理) posts to the entrusted accounts instead of income and takes no receipt; paying it
on is pass_through.py's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload, object_session
from sqlalchemy.orm.attributes import set_committed_value

from fundpool.audit.log import Actor, record, record_now
from fundpool.auth.principal import Principal, require_role
from fundpool.db import check_lengths
from fundpool.donations import pass_through
from fundpool.donations.models import (
    CHANNELS,
    CLEARING_CHANNELS,
    DONOR_KINDS,
    Donation,
    Donor,
    Receipt,
)
from fundpool.donations.pass_through import PassThrough
from fundpool.donations.receipts import take_receipt, void_receipt
from fundpool.errors import (
    Conflict,
    Forbidden,
    InsufficientFunds,
    InvalidInput,
    NotFound,
    PeriodClosed,
)
from fundpool.funds.models import Fund
from fundpool.ledger.chart import account_code
from fundpool.ledger.models import Account
from fundpool.ledger.money import format_amount
from fundpool.ledger.posting import check_entry_date, post_entry, today
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.paging import Page, keyset_page
from fundpool.pools.codes import subtree_bounds
from fundpool.pools.models import Pool

#: What recording a gift must know besides the fund: the donor (loaded for the response),
#: whether the fund keeps the account the gift credits, and an earlier gift with the same
#: channel reference.
_LOOKUPS = select(
    Donor,
    select(Account.id).where(Account.code == bindparam("account")).scalar_subquery(),
    select(Donation.id).where(Donation.channel == bindparam("channel"),
                              Donation.channel_ref == bindparam("channel_ref")).scalar_subquery(),
).where(Donor.id == bindparam("donor_id"))


#: A new gift comes back from its INSERT whole; its relations are set from what is in hand
#: (``_as_recorded``), not loaded. A plain INSERT … RETURNING whose row the ORM loads as the
#: gift (``from_statement``): the ORM's bulk INSERT costs more for one row.
_DONATIONS = Donation.__table__
_ROW = ("donor_id", "fund_id", "amount", "currency", "channel", "channel_ref", "received_date",
        "purpose", "in_kind_description", "valuation_basis", "entry_id",
        "pass_through_recipient", "pass_through_note")
_INSERT = (select(Donation)
           .from_statement(insert(_DONATIONS)
                           .values({name: bindparam(name) for name in _ROW})
                           .returning(*_DONATIONS.c))
           .options(lazyload("*")))

#: What a gift in kind must say, by field (fixed sentences, so the console translates them).
IN_KIND_NEEDS = {"in_kind_description": "a gift in kind needs its in kind description",
                 "valuation_basis": "a gift in kind needs its valuation basis"}

@dataclass(frozen=True, slots=True)
class NewDonor:
    kind: str
    name: str
    anonymous: bool = False
    contact: str | None = None
    id_number: str | None = None


@dataclass(frozen=True, slots=True)
class NewDonation:
    donor_id: int
    fund: Fund
    amount: int
    currency: str
    channel: str
    channel_ref: str
    received_date: date
    purpose: str = ""
    #: ``None``: a receipt for an ordinary gift, none for a pass-through one.
    issue_receipt: bool | None = None
    in_kind_description: str | None = None
    valuation_basis: str | None = None
    #: Set for a gift designated for a named recipient (受托代理): not income, paid on later.
    pass_through: PassThrough | None = None

    def __post_init__(self) -> None:
        """A reference pasted with spaces around it is the same transaction: stored trimmed,
        as the importer and the console store it, so the platform file finds it a duplicate
        instead of recording the gift twice."""
        object.__setattr__(self, "channel_ref", self.channel_ref.strip())


@dataclass(frozen=True, slots=True)
class Recorded:
    donation: Donation
    warning: str | None


def create_donor(session: Session, actor: Actor, new: NewDonor) -> Donor:
    if new.kind not in DONOR_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(DONOR_KINDS)}", "kind")
    if not new.anonymous and not new.name.strip():
        raise InvalidInput("a donor needs a name unless anonymous", "name")
    check_lengths(Donor, name=new.name.strip(), contact=new.contact, id_number=new.id_number)
    donor = Donor(kind=new.kind, name=new.name.strip() or "匿名", anonymous=new.anonymous,
                  contact=new.contact, id_number=new.id_number)
    session.add(donor)
    session.flush()
    record(session, actor, "donor.create", "donor", donor.id, kind=new.kind)
    return donor


def get_donor(session: Session, donor_id: int, field: str = "donor_id") -> Donor:
    donor = session.get(Donor, donor_id)
    if donor is None:
        raise NotFound(f"there is no donor {donor_id}", field)
    return donor


def require_donor_reader(session: Session, viewer: Principal, donor: Donor) -> None:
    """Who reads a donor's name, contact and masked identity number: auditors and the
    city's admins every donor; another admin a donor who gave to a fund of their subtree —
    whom they already see on those gifts — and no other. A donor is not tied to a pool
    until a gift is recorded, so one who gave nothing yet is read only city-wide (the admin
    who registered it had it in the answer). Recording a gift needs only the donor's id."""
    require_role(viewer, "admin", "auditor")
    if viewer.role == "auditor" or viewer.is_root_admin:
        return
    if not gave_within(session, donor.id, *subtree_bounds(viewer.pool_code, viewer.pool_level)):
        raise Forbidden("donor {donor} has given nothing to a fund in your scope (pool {own} "
                        "and below)", "donor_id", donor=donor.id, own=viewer.pool_code)


def gave_within(session: Session, donor_id: int, low: str, high: str) -> bool:
    """Whether any gift of the donor (refunded or passed on too) reached a fund of a pool
    whose code lies in ``low``..``high`` (a subtree)."""
    return session.scalar(select(Donation.id).join(Donation.fund).join(Fund.pool).where(
        Donation.donor_id == donor_id, Pool.code.between(low, high)).limit(1)) is not None


def get_donation(session: Session, donation_id: int, lock: bool = False) -> Donation:
    stmt = select(Donation).where(Donation.id == donation_id)
    if lock:
        stmt = stmt.with_for_update(of=Donation).execution_options(populate_existing=True)
    donation = session.scalar(stmt)
    if donation is None:
        raise NotFound("there is no donation {donation}", "donation_id", donation=donation_id)
    return donation


def money_account(fund: Fund, channel: str, currency: str) -> str:
    """Bank deposits, the platform clearing account for online channels, or the goods
    account (1201) for gifts in kind."""
    chart = "1201" if channel == "in_kind" else "1009" if channel in CLEARING_CHANNELS \
        else "1002"
    return account_code(fund.code, chart, currency)


def income_account(fund: Fund, currency: str) -> str:
    return account_code(fund.code, "410102" if fund.restricted else "410101", currency)


def record_donation(session: Session, actor: Actor, new: NewDonation) -> Recorded:
    """Record the gift, post Dr bank/clearing / Cr donation income, take a receipt number.
    A pass-through gift posts Dr 1701 受托代理资产 / Cr 2601 受托代理负债 and takes none."""
    designation, donor = _check(session, new)
    if designation is None:
        lines = (Line(money_account(new.fund, new.channel, new.currency), Side.DEBIT, new.amount),
                 Line(income_account(new.fund, new.currency), Side.CREDIT, new.amount))
        metadata = {}
    else:
        lines = pass_through.receiving_lines(new.fund, new.currency, new.amount)
        metadata = {"recipient": designation.recipient}
    try:
        entry = post_entry(session, actor, NewEntry(
            kind="donation", effective_date=new.received_date, memo=new.purpose[:500],
            external_ref=f"{new.channel}:{new.channel_ref}"[:100], metadata=metadata,
            lines=lines))
    except PeriodClosed as exc:  # the entry's date is the gift's
        raise exc.naming("received_date") from None
    try:
        donation = session.scalars(_INSERT, _row(new, designation, entry.id)).one()
    except IntegrityError:
        raise Conflict("{channel} reference {ref} is already recorded", "channel_ref",
                       channel=new.channel, ref=new.channel_ref) from None
    receipt, warning = None, None
    issue = designation is None if new.issue_receipt is None else new.issue_receipt
    if issue:
        receipt, warning = take_receipt(session, new.fund.pool_id, donation.id, new.amount,
                                        new.currency)
    details = {} if designation is None else {"pass_through_recipient": designation.recipient}
    record_now(session, actor, "donation.record", "donation", donation.id, entry_id=entry.id,
               fund=new.fund.code, **details)
    _as_recorded(session, donation, donor, new.fund, receipt)
    return Recorded(donation, warning)


def _row(new: NewDonation, designation: PassThrough | None, entry_id: int) -> dict:
    return {"donor_id": new.donor_id, "fund_id": new.fund.id, "amount": new.amount,
            "currency": new.currency, "channel": new.channel, "channel_ref": new.channel_ref,
            "received_date": new.received_date, "purpose": new.purpose,
            "in_kind_description": new.in_kind_description,
            "valuation_basis": new.valuation_basis, "entry_id": entry_id,
            "pass_through_recipient": designation.recipient if designation else None,
            "pass_through_note": designation.note if designation else None}


def _as_recorded(session: Session, donation: Donation, donor: Donor, fund: Fund,
                 receipt: Receipt | None) -> None:
    """Give a new gift its relations from what is in hand instead of reading them back: its
    donor and fund, its receipt if one was taken, no payments on. (Its columns came back
    from its INSERT.) The session holds unchanged objects only weakly, so without this the
    answer would read the donor and fund again."""
    set_committed_value(donation, "donor", donor)
    if object_session(fund) is session:  # otherwise it is read in this session when asked for
        set_committed_value(donation, "fund", fund)
    set_committed_value(donation, "receipts", [] if receipt is None else [receipt])
    set_committed_value(donation, "pass_through_payments", [])


def _check(session: Session, new: NewDonation) -> tuple[PassThrough | None, Donor]:
    """Refuse a bad gift; the pass-through designation, checked, if there is one, and the
    donor."""
    if new.channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", "channel")
    if not new.channel_ref.strip():
        raise InvalidInput("the channel's own reference is required", "channel_ref")
    check_lengths(Donation, channel_ref=new.channel_ref, purpose=new.purpose,
                  in_kind_description=new.in_kind_description,
                  valuation_basis=new.valuation_basis)
    in_kind = new.channel == "in_kind"
    for value, field in ((new.in_kind_description, "in_kind_description"),
                         (new.valuation_basis, "valuation_basis")):
        if in_kind and not (value or "").strip():
            raise InvalidInput(IN_KIND_NEEDS[field], field)
        if not in_kind and value:
            raise InvalidInput("{name} is only for gifts in kind", field, name=field)
    fund = new.fund
    if not fund.is_open:
        raise Conflict("fund {fund} is closed", "fund", fund=fund.code)
    day = new.received_date
    check_entry_date(day, "received_date")
    if (fund.valid_from and day < fund.valid_from) or (fund.valid_to and day > fund.valid_to):
        raise Conflict("fund {fund} accepts gifts from {start} to {end}; {day} is outside",
                       "received_date", fund=fund.code, start=fund.valid_from or "…",
                       end=fund.valid_to or "…", day=day)
    designation = None if new.pass_through is None \
        else pass_through.checked(new.pass_through, new.issue_receipt)
    needed = income_account(fund, new.currency) if designation is None \
        else pass_through.assets_account(fund, new.currency)
    # The donor, the fund's account and an earlier gift with this reference: one round trip.
    found = session.execute(_LOOKUPS, {"donor_id": new.donor_id, "account": needed,
                                       "channel": new.channel,
                                       "channel_ref": new.channel_ref}).first()
    if found is None:
        raise NotFound(f"there is no donor {new.donor_id}", "donor_id")
    donor, account_id, duplicate = found
    if account_id is None:
        raise InvalidInput("fund {fund} keeps no {currency} accounts; open them first",
                           "currency", fund=fund.code, currency=new.currency)
    if duplicate is not None:
        raise Conflict("{channel} reference {ref} is already recorded as donation {donation}",
                       "channel_ref", channel=new.channel, ref=new.channel_ref,
                       donation=duplicate)
    return designation, donor


def refund(session: Session, actor: Actor, donation_id: int, amount: int, reason: str) -> Donation:
    """Give back part or all of a gift: the reverse entry, refused if the fund no longer
    has the money; the receipt is voided (and reissued for what remains). A pass-through
    gift gives back only what is still held for its recipient (not yet paid on):
    Dr 2601 / Cr 1701."""
    donation = get_donation(session, donation_id, lock=True)
    left = donation.amount - donation.refunded - donation.paid_on
    if amount > left:
        held = f"; {format_amount(donation.paid_on, donation.currency)} {donation.currency} " \
            f"of it was already paid on to {donation.pass_through_recipient}" \
            if donation.is_pass_through else ""
        raise InvalidInput(f"at most {format_amount(left, donation.currency)} "
                           f"{donation.currency} of this donation can still be refunded{held}",
                           "amount")
    if not reason.strip():
        raise InvalidInput("a refund needs a reason", "reason")
    fund = donation.fund
    if not fund.is_open:  # its money moved out before it closed; nothing is left to give back
        raise Conflict("fund {fund} is closed", "donation_id", fund=fund.code)
    if donation.is_pass_through:
        lines = pass_through.handing_over_lines(fund, donation.currency, amount)
    else:
        lines = (Line(income_account(fund, donation.currency), Side.DEBIT, amount),
                 Line(money_account(fund, donation.channel, donation.currency), Side.CREDIT,
                      amount))
    try:
        entry = post_entry(session, actor, NewEntry(
            kind="refund", effective_date=today(),
            memo=f"refund of donation {donation.id}: {reason}"[:500],
            external_ref=f"{donation.channel}:{donation.channel_ref}"[:100], lines=lines))
    except InsufficientFunds as exc:  # the fund has spent or moved the money meanwhile
        raise exc.naming("amount") from None
    donation.refunded += amount
    current = donation.receipt
    if current is not None:
        void_receipt(session, current, reason)
        if donation.refunded < donation.amount:
            take_receipt(session, fund.pool_id, donation.id, donation.amount - donation.refunded,
                         donation.currency)
    record(session, actor, "donation.refund", "donation", donation.id, entry_id=entry.id,
           amount=amount, reason=reason)
    session.flush()
    session.refresh(donation)
    return donation


def list_donations(session: Session, *, low: str | None = None, high: str | None = None,
                   fund_id: int | None = None, fund_ids: list[int] | None = None,
                   channel: str | None = None, after: int | None = None,
                   limit: int = 50) -> Page:
    stmt = select(Donation).join(Donation.fund).join(Fund.pool)
    if low is not None:
        stmt = stmt.where(Pool.code.between(low, high))
    if fund_id is not None:
        stmt = stmt.where(Donation.fund_id == fund_id)
    if fund_ids is not None:
        stmt = stmt.where(Donation.fund_id.in_(fund_ids))
    if channel is not None:
        stmt = stmt.where(Donation.channel == channel)
    return keyset_page(session, stmt, Donation.id, after, limit)
