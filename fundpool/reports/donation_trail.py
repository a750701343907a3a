"""Where one donation went: the fund it reached, and what its money paid for.

The parts of a trail always add up to the donation's amount exactly, in minor units:

- an ordinary gift of money is followed through its fund's order of spending
  (``fifo``): each part of it paid a project (``grant``), was refunded (``refund``; a
  refund of another gift when the fund spent this gift's money on it), went out some other
  way (``other``), or is still in the fund (``in_fund``). Money allocated to another fund is
  followed there and attributed by that fund's order of spending in turn, hop after hop
  (``via`` lists the allocations); only past ``MAX_HOPS`` hops, on an allocation already
  followed on the same path, or after ``MAX_WALKS`` funds walked is it left as
  ``allocation`` (sent to that fund, not followed), and ``followed`` is then false;
- a pass-through gift (受托代理) is not the fund's money: it goes to the recipient the donor
  named, in payments (``paid_on``), or back to the donor (``refund``); what is neither is
  still held for the recipient (``held_for_recipient``);
- a gift in kind is goods the fund holds (``goods``) unless given back (``refund``).

``refunds`` lists every refund of the donation itself, whichever money paid it. Parts come
in date order, then entry order; what is still in a fund or held comes last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.donations.models import Donation
from fundpool.funds.models import Allocation, Fund
from fundpool.ledger.models import Entry
from fundpool.matching.run_models import RunMatch
from fundpool.reports.fifo import Source, Take, spending

MAX_HOPS = 6
MAX_WALKS = 50


@dataclass(frozen=True, slots=True)
class Hop:
    """An allocation the money was followed through."""

    allocation: Allocation
    date: date


@dataclass(frozen=True, slots=True)
class Part:
    kind: str
    amount: int
    fund: Fund  # where the money is, or the fund it left from
    date: date | None = None
    entry_id: int | None = None
    via: tuple[Hop, ...] = ()
    match: RunMatch | None = None  # grant
    refund_of: int | None = None  # refund: the gift refunded
    allocation: Allocation | None = None  # allocation not followed
    recipient: str | None = None  # pass-through
    memo: str = ""


@dataclass(frozen=True, slots=True)
class Refund:
    entry_id: int
    date: date
    amount: int


@dataclass(slots=True)
class DonationTrail:
    donation: Donation
    kind: str  # gift, pass_through or in_kind
    parts: list[Part] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    followed: bool = True

    @property
    def total(self) -> int:
        return sum(part.amount for part in self.parts)


def trail(session: Session, donation: Donation) -> DonationTrail:
    if donation.is_pass_through:
        found = DonationTrail(donation, "pass_through", _pass_through(donation))
    elif donation.channel == "in_kind":
        found = DonationTrail(donation, "in_kind")
        if donation.amount > donation.refunded:
            found.parts.append(Part("goods", donation.amount - donation.refunded, donation.fund))
    else:
        found = DonationTrail(donation, "gift")
        _Follow(session, donation.currency, found).run(
            donation.fund, Source("donation", donation.id), 0, donation.amount, ())
    found.refunds = _refunds(session, donation)
    if found.kind != "gift":
        found.parts += [Part("refund", r.amount, donation.fund, r.date, r.entry_id,
                             refund_of=donation.id) for r in found.refunds]
    found.parts.sort(key=lambda p: (p.date is None, p.date or date.min, p.entry_id or 0))
    return found


def _pass_through(donation: Donation) -> list[Part]:
    parts = [Part("paid_on", payment.amount, donation.fund, payment.paid_date, payment.entry_id,
                  recipient=donation.pass_through_recipient, memo=payment.memo)
             for payment in donation.pass_through_payments]
    if donation.outstanding:
        parts.append(Part("held_for_recipient", donation.outstanding, donation.fund,
                          recipient=donation.pass_through_recipient))
    return parts


class _Follow:
    """Follows ``[lo, hi)`` of a lot through a fund's spending, and on through allocations."""

    def __init__(self, session: Session, currency: str, found: DonationTrail) -> None:
        self.session, self.currency, self.found, self.walks = session, currency, found, 0

    def run(self, fund: Fund, source: Source, lo: int, hi: int, via: tuple[Hop, ...]) -> None:
        self.walks += 1
        spent = spending(self.session, fund, self.currency, {source: hi})
        parts = self.found.parts
        if source not in spent.seen:
            parts.append(Part("in_fund", hi - lo, fund, via=via))
            return
        for take in spent.takes[source]:
            a, b = max(lo, take.lot_lo), min(hi, take.lot_hi)
            if a < b:
                self._part(fund, take, a, b, via)
        left = spent.left.get(source)
        if left is not None and max(lo, left[0]) < min(hi, left[1]):
            parts.append(Part("in_fund", min(hi, left[1]) - max(lo, left[0]), fund, via=via))

    def _part(self, fund: Fund, take: Take, a: int, b: int, via: tuple[Hop, ...]) -> None:
        use, size = take.use, b - a
        common = {"date": use.date, "entry_id": use.entry_id, "via": via, "memo": use.memo}
        if use.kind == "allocation":
            allocation = self.session.get(Allocation, use.ref)
            if self._may_follow(allocation, via):
                out_lo = take.out_lo + (a - take.lot_lo)
                self.run(allocation.target, Source("allocation", allocation.id), out_lo,
                         out_lo + size, via + (Hop(allocation, use.date),))
                return
            self.found.followed = False
            self.found.parts.append(Part("allocation", size, fund, allocation=allocation,
                                        **common))
        elif use.kind == "grant":
            match = self.session.get(RunMatch, use.ref) if use.ref is not None else None
            self.found.parts.append(Part("grant", size, fund, match=match, **common))
        elif use.kind == "refund":
            self.found.parts.append(Part("refund", size, fund, refund_of=use.ref, **common))
        else:
            self.found.parts.append(Part("other", size, fund, **common))

    def _may_follow(self, allocation: Allocation, via: tuple[Hop, ...]) -> bool:
        return (len(via) < MAX_HOPS and self.walks < MAX_WALKS
                and all(hop.allocation.id != allocation.id for hop in via))


def _refunds(session: Session, donation: Donation) -> list[Refund]:
    """The refund entries of this gift (their memo names it), with what each gave back."""
    entries = session.scalars(
        select(Entry).where(Entry.kind == "refund",
                            Entry.memo.like(f"refund of donation {donation.id}:%"))
        .order_by(Entry.effective_date, Entry.id)).all()
    return [Refund(entry.id, entry.effective_date,
                   sum(p.amount for p in entry.postings if p.side == "debit"))
            for entry in entries]

