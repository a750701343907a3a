"""Which details of an audit event are amounts of money, and in which currency.

The core records amounts in an event's details as it keeps them — integer minor units (fen),
``amount=10000`` for 100.00 — and an event is never changed. A reader shows them as money
(the console's audit log: ``¥100.00``); this module is the one place that knows which
details those are, so a new ``record(...)`` with money in it is added here:

- ``amount``: grant.disburse, allocation.create, donation.refund, donation.pay_on;
- ``budget``: proposal.create, and in proposal.update's ``before`` and ``after``;
- ``estimated_cost``: need.create;
- ``per_grant_limit``: in fund.restrict's ``before`` (the restriction it replaced);
- ``legs``: hold.create, each ``[account, counter account, amount]``, in the account's
  currency (its code ends in it);
- ``totals``: year.close, ``{currency: {income_unrestricted, income_restricted, expenses}}``.

The currency of the other amounts: the event's own ``currency`` detail (allocation.create),
else a donation's currency for an event about a donation (a refund of a gift in HKD is in
HKD), else CNY — needs, proposals, grants and a fund's per-grant limit are in CNY.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.audit.models import AuditEvent
from fundpool.donations.models import Donation

MONEY_KEYS = frozenset({"amount", "budget", "estimated_cost", "per_grant_limit",
                        "income_unrestricted", "income_restricted", "expenses"})
DEFAULT_CURRENCY = "CNY"


@dataclass(frozen=True, slots=True)
class Amount:
    """An amount of money found in an event's details, in minor units."""

    minor: int
    currency: str


def with_amounts(details: dict[str, Any], currency: str = DEFAULT_CURRENCY) -> dict[str, Any]:
    """A copy of ``details`` in which each amount of money is an ``Amount``; the rest as is."""
    currency = details.get("currency") if isinstance(details.get("currency"), str) else currency
    return {key: _shown(key, value, currency) for key, value in details.items()}


def _shown(key: str, value: Any, currency: str) -> Any:
    if key in MONEY_KEYS and _is_minor(value):
        return Amount(value, currency)
    if key == "legs" and isinstance(value, list):
        return [_leg(leg) for leg in value]
    if key == "totals" and isinstance(value, dict):
        return {code: with_amounts(figures, code) if isinstance(figures, dict) else figures
                for code, figures in value.items()}
    if isinstance(value, dict):  # proposal.update's before and after
        return with_amounts(value, currency)
    return value


def _leg(leg: Any) -> Any:
    """A hold's leg ``[account, counter, amount]``: an account code ends in its currency."""
    if isinstance(leg, list) and len(leg) == 3 and isinstance(leg[0], str) \
            and _is_minor(leg[2]):
        return [leg[0], leg[1], Amount(leg[2], leg[0].rsplit(":", 1)[-1])]
    return leg


def _is_minor(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def currencies(session: Session, events: Iterable[AuditEvent]) -> dict[int, str]:
    """The currency of each event's amounts (see the module's docstring), by event id: one
    query for the donations the events are about, whose currency their details do not say."""
    events = list(events)
    donation_ids = {int(event.target_id) for event in events
                    if event.target_type == "donation" and event.target_id.isdigit()}
    of_donation = dict(session.execute(
        select(Donation.id, Donation.currency).where(Donation.id.in_(donation_ids))).all()) \
        if donation_ids else {}
    return {event.id: _currency(event, of_donation) for event in events}


def _currency(event: AuditEvent, of_donation: dict[int, str]) -> str:
    own = (event.details or {}).get("currency")
    if isinstance(own, str):
        return own
    if event.target_type == "donation" and event.target_id.isdigit():
        return of_donation.get(int(event.target_id), DEFAULT_CURRENCY)
    return DEFAULT_CURRENCY
