"""A fund's order of spending: which money in paid for which money out, first in, first out.

Money is fungible, so *which* gift paid for a grant is a rule, not a fact. The rule here,
for one fund and one currency (docs/reports.md, "Where the money went"):

- **The fund's money** is its 1002 银行存款 and 1009 其他货币资金 (platform clearing) together.
  Each entry's net effect on them is one event: money in if positive, out if negative;
  an entry that nets to zero (moving the fund's own platform money to its bank) is none.
- **Events count in order of effective date, then entry id** (the order they were recorded).
- **Money in** is a lot: one per gift (a bulk settlement entry is cut into its gifts, in
  donation id order, where a gift needs its own lot), one per allocation received, one per
  other entry (an adjustment, an opening balance, a reversal).
- **Money out takes the oldest money first**, front to back of each lot, so a lot is
  always spent from its start. One exception: a refund of a gift takes that gift's own
  money first, as far as it is still there; the rest of it, like any other money out, is
  taken oldest first.
- Should money go out before money came in to cover it in this order (an entry backdated
  before the gifts that paid for it), the outflow waits and takes the next money in.

Positions are kept exactly, in minor units: a lot is the interval ``[0, amount)`` of its
source, and each take maps ``[lot_lo, lot_hi)`` of a lot to ``[out_lo, out_lo + size)`` of
the outflow. An allocation is an outflow here and a lot in the fund it reached, with the
same positions, so money can be followed from fund to fund with nothing lost or doubled.

Only the lots asked about (``interest``) and the refunded gifts keep their identity; the
others merge, so memory stays small however long the fund's history, and the walk stops as
soon as every lot asked about has been spent.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from fundpool.donations.models import Donation
from fundpool.funds.models import Allocation, Fund
from fundpool.ledger.models import Account, Entry, Hold, Posting

MONEY = ("1002", "1009")
CHUNK = 1000
_MATCH = re.compile(r"match (\d+)\)?$")
_REFUND = re.compile(r"^refund of donation (\d+):")


@dataclass(frozen=True, slots=True)
class Source:
    """What a lot of money in is: ``donation`` (a gift's id), ``allocation`` (an allocation's
    id, received), or ``entry`` (any other entry's id)."""

    kind: str
    ref: int


@dataclass(frozen=True, slots=True)
class Use:
    """What money out was: ``grant`` (a payment to a project; ``ref`` the match, or ``None``
    when the payment names none), ``allocation`` (sent; ``ref`` the allocation), ``refund``
    (``ref`` the refunded gift) or ``other`` (``ref`` None)."""

    kind: str
    ref: int | None
    entry_id: int
    date: date
    memo: str


@dataclass(frozen=True, slots=True)
class Take:
    """``[lot_lo, lot_hi)`` of a lot went to ``use``, at ``[out_lo, out_lo + size)`` of it."""

    lot_lo: int
    lot_hi: int
    use: Use
    out_lo: int


@dataclass(slots=True, eq=False)
class _Lot:
    source: Source | None  # None: merged money nobody asked about
    lo: int
    hi: int


@dataclass(slots=True)
class _Waiting:
    use: Use
    out_lo: int
    left: int


@dataclass(slots=True)
class Spending:
    """The takes of the lots asked about, what is left of each, and which were seen."""

    takes: dict[Source, list[Take]] = field(default_factory=dict)
    left: dict[Source, tuple[int, int]] = field(default_factory=dict)
    seen: set[Source] = field(default_factory=set)


def spending(session: Session, fund: Fund, currency: str, interest: dict[Source, int]) -> Spending:
    """Walk the fund's money in ``currency`` in its order of spending until every lot of
    ``interest`` (source → how far into it matters) is spent that far, or history ends."""
    walk = Walk(interest, _refunded_gifts(session, fund, currency))
    split = _split_entries(session, fund, currency, walk.keyed)
    rows = _events(session, fund, currency)
    try:
        for row in rows:
            for event in _classified(row, fund, split):
                walk.feed(event)
                if walk.done:
                    return walk.result()
    finally:
        rows.close()
    return walk.result()


class Walk:
    """The order of spending over events already read: ``feed`` them in order, then
    ``result``; ``done`` says when the lots of ``interest`` are spent as far as asked."""

    def __init__(self, interest: dict[Source, int], refunded: set[int]) -> None:
        self.interest = interest
        self.keyed = set(interest) | {Source("donation", ref) for ref in refunded}
        self.queue: deque[_Lot] = deque()
        self.by_source: dict[Source, _Lot] = {}
        self.waiting: deque[_Waiting] = deque()
        self.out = Spending(takes={source: [] for source in interest})

    @property
    def done(self) -> bool:
        return all(source in self.out.seen and self.by_source[source].lo >= until
                   for source, until in self.interest.items())

    def feed(self, event: tuple) -> None:
        what, amount = event
        if isinstance(what, Use):
            self._spend(what, amount)
        else:
            self._receive(what, amount)

    def _receive(self, source: Source | None, amount: int) -> None:
        keyed = source if source in self.keyed else None
        if keyed is not None:
            self.out.seen.add(keyed)
        lot = _Lot(keyed, 0, amount)
        while self.waiting and lot.lo < lot.hi:
            waiting = self.waiting[0]
            size = min(waiting.left, lot.hi - lot.lo)
            self._take(lot, size, waiting.use, waiting.out_lo)
            waiting.out_lo += size
            waiting.left -= size
            if not waiting.left:
                self.waiting.popleft()
        if keyed is not None:
            self.by_source[keyed] = lot
        if lot.lo < lot.hi:
            tail = self.queue[-1] if self.queue else None
            if keyed is None and tail is not None and tail.source is None:
                tail.hi += lot.hi - lot.lo
            else:
                self.queue.append(lot)

    def _spend(self, use: Use, amount: int) -> None:
        out_lo = 0
        own = self.by_source.get(Source("donation", use.ref)) if use.kind == "refund" else None
        if own is not None and own.lo < own.hi:
            size = min(amount, own.hi - own.lo)
            self._take(own, size, use, out_lo)
            out_lo, amount = out_lo + size, amount - size
            if own.lo == own.hi:
                self.queue.remove(own)
        while amount and self.queue:
            lot = self.queue[0]
            size = min(amount, lot.hi - lot.lo)
            self._take(lot, size, use, out_lo)
            out_lo, amount = out_lo + size, amount - size
            if lot.lo == lot.hi:
                self.queue.popleft()
        if amount:
            self.waiting.append(_Waiting(use, out_lo, amount))

    def _take(self, lot: _Lot, size: int, use: Use, out_lo: int) -> None:
        if lot.source in self.out.takes:
            self.out.takes[lot.source].append(Take(lot.lo, lot.lo + size, use, out_lo))
        lot.lo += size

    def result(self) -> Spending:
        for source in self.interest:
            lot = self.by_source.get(source)
            if lot is not None and lot.lo < lot.hi:
                self.out.left[source] = (lot.lo, lot.hi)
        return self.out


def _refunded_gifts(session: Session, fund: Fund, currency: str) -> set[int]:
    return set(session.scalars(select(Donation.id).where(
        Donation.fund_id == fund.id, Donation.currency == currency, Donation.refunded > 0,
        Donation.pass_through_recipient.is_(None))))


def _events(session: Session, fund: Fund, currency: str):
    """Every entry moving the fund's money, in order of spending, streamed: (entry id, date,
    kind, memo, net, allocation id, its source fund, its target fund, the hold's memo). The
    fund's postings are summed per entry first (through the postings' account index), then
    joined to their entries, the allocation an entry made and the hold it committed."""
    accounts = list(session.scalars(select(Account.id).where(
        Account.fund_id == fund.id, Account.chart_code.in_(MONEY), Account.currency == currency)))
    if not accounts:
        return
    net = func.sum(case((Posting.side == "debit", Posting.amount), else_=-Posting.amount))
    sums = (select(Posting.entry_id, net.label("net")).where(Posting.account_id.in_(accounts))
            .group_by(Posting.entry_id).having(net != 0).subquery())
    stmt = (select(Entry.id, Entry.effective_date, Entry.kind, Entry.memo, sums.c.net,
                   Allocation.id, Allocation.source_fund_id, Allocation.target_fund_id,
                   Hold.memo)
            .join(sums, sums.c.entry_id == Entry.id)
            .outerjoin(Allocation, Allocation.entry_id == Entry.id)
            .outerjoin(Hold, Hold.id == Entry.hold_id)
            .order_by(Entry.effective_date, Entry.id))
    result = session.execute(stmt.execution_options(yield_per=CHUNK))
    try:
        yield from result
    finally:
        result.close()


def _classified(row, fund: Fund, split: dict[int, list[tuple[Source | None, int]]]):
    """An entry as events: ``(source, amount)`` for money in (source ``None`` for money
    nobody asked about), ``(use, amount)`` for money out."""
    entry_id, day, kind, memo, net, allocation, source, target, hold_memo = row
    net = int(net)
    if net > 0:
        if allocation is not None and target == fund.id:
            yield Source("allocation", allocation), net
            return
        parts = split.get(entry_id, [])
        yield from parts
        rest = net - sum(amount for _source, amount in parts)
        if rest > 0:
            yield Source("entry", entry_id), rest
        return
    if allocation is not None and source == fund.id:
        use = Use("allocation", allocation, entry_id, day, memo)
    elif kind == "disbursement" and hold_memo is not None:
        use = Use("grant", match_named(hold_memo), entry_id, day, memo)
    elif kind == "refund" and (refund := _REFUND.match(memo)):
        use = Use("refund", int(refund.group(1)), entry_id, day, memo)
    else:
        use = Use("other", None, entry_id, day, memo)
    yield use, -net


def match_named(hold_memo: str) -> int | None:
    """The match a grant's hold was made for: approval writes "… (proposal P, match M)"."""
    found = _MATCH.search(hold_memo)
    return int(found.group(1)) if found else None


def _split_entries(session: Session, fund: Fund, currency: str,
                   keyed: set[Source]) -> dict[int, list[tuple[Source | None, int]]]:
    """The entries holding a gift that keeps its identity, each cut into its gifts in
    donation id order (a bulk settlement is one entry for many gifts); the gifts around
    them are summed into lots nobody asked about."""
    wanted = [source.ref for source in keyed if source.kind == "donation"]
    if not wanted:
        return {}
    gift = (Donation.fund_id == fund.id, Donation.currency == currency,
            Donation.pass_through_recipient.is_(None), Donation.channel != "in_kind")
    entries = set()
    for start in range(0, len(wanted), 1000):
        entries |= set(session.scalars(select(Donation.entry_id).where(
            Donation.id.in_(wanted[start:start + 1000]), *gift)))
    split: dict[int, list[tuple[Source | None, int]]] = {}
    for entry_id in entries:
        parts: list[tuple[Source | None, int]] = []
        for donation_id, amount in session.execute(
                select(Donation.id, Donation.amount).where(Donation.entry_id == entry_id, *gift)
                .order_by(Donation.id)):
            source = Source("donation", donation_id)
            if source in keyed:
                parts.append((source, amount))
            elif parts and parts[-1][0] is None:
                parts[-1] = (None, parts[-1][1] + amount)
            else:
                parts.append((None, amount))
        split[entry_id] = parts
    return split
