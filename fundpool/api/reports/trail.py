"""Where the money went: a fund's uses and a donation's trail, on the reports blueprint.

Readers as for a fund's statement: auditors any fund, admins funds of pools in their
subtree, foundations only the funds granted to them; a donation's trail is readable by
whoever may read the fund it was given to. The figures are fundpool.reports.fund_uses'
and fundpool.reports.donation_trail's; this module authorises and renders.
"""

from __future__ import annotations

from collections import defaultdict

from flask.views import MethodView

from fundpool.api.funds.resources import granted_fund_ids
from fundpool.api.reports.resources import _fund_reader, blp
from fundpool.api.reports.trail_schemas import DonationTrailSchema, FundUsesSchema
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.donations.models import Donation
from fundpool.donations.service import get_donation
from fundpool.errors import Forbidden
from fundpool.funds.models import CATEGORY_NAMES_ZH
from fundpool.ledger.money import format_amount
from fundpool.matching.models import URGENCY_NAMES_ZH
from fundpool.reports.donation_trail import DonationTrail, Part, trail
from fundpool.reports.fund_uses import FundUses, ProjectUse, fund_uses, hundredths

RULE = ("先进先出 first in, first out: a fund's money out is paid from its oldest money in, by "
        "effective date then entry id; a refund takes the refunded gift's own money first; "
        "allocations are followed into the fund they reached (docs/reports.md)")


@blp.route("/funds/<string:code>/uses")
class Uses(MethodView):
    @blp.response(200, FundUsesSchema)
    @documents_errors(blp, 403, 404)
    def get(self, code):
        """Where a fund's money went: every project it paid or is committed to (its share,
        paid, held, the people served and its share of them, the needs by category and
        urgency), every allocation it sent, and totals per currency. Foundations: funds
        granted to them only."""
        fund = _fund_reader(code, "code")
        return _uses_body(fund_uses(db_session(), fund))


@blp.route("/donations/<int:donation_id>/trail")
class Trail(MethodView):
    @blp.response(200, DonationTrailSchema)
    @documents_errors(blp, 403, 404)
    def get(self, donation_id):
        """Where a donation went: the fund it reached and, by that fund's order of spending
        (first in, first out), the projects its money paid, the funds it was allocated to
        (followed there), refunds, and what is still in a fund. The parts add up to the
        donation exactly. Foundations: donations to funds granted to them."""
        session = db_session()
        donation = _donation_reader(donation_id)
        return _trail_body(trail(session, donation))


def _donation_reader(donation_id: int) -> Donation:
    viewer, session = principal(), db_session()
    donation = get_donation(session, donation_id)
    fund = donation.fund
    if viewer.role == "foundation":
        if fund.id not in granted_fund_ids(session, viewer):
            raise Forbidden(f"donation {donation_id} went to fund {fund.code}, which has not "
                            "been granted to your foundation token", "donation_id")
    elif viewer.role == "admin" and not viewer.covers(fund.pool.code):
        raise Forbidden(f"donation {donation_id} went to fund {fund.code}, outside your scope "
                        f"(pool {viewer.pool_code} and below)", "donation_id")
    return donation


def _uses_body(found: FundUses) -> dict:
    fund = found.fund
    return {"fund": fund.code, "fund_name": fund.name, "pool": fund.pool.code,
            "projects": [_project(project) for project in found.projects],
            "allocations": [{
                "allocation_id": use.allocation.id, "entry_id": use.allocation.entry_id,
                "date": use.date, "direction": use.allocation.direction,
                "target": use.allocation.target.code, "target_name": use.allocation.target.name,
                "target_pool": use.allocation.target.pool.code,
                "amount": format_amount(use.allocation.amount, use.allocation.currency),
                "currency": use.allocation.currency, "memo": use.allocation.memo}
                for use in found.allocations],
            "totals": [{
                "currency": line.currency, "projects": line.projects, "people": line.people,
                "people_share": hundredths(line.people_share),
                **{name: format_amount(getattr(line, name), line.currency) for name in (
                    "approved", "paid", "held", "released", "allocated_out", "refunded",
                    "in_fund")}}
                for line in found.totals]}


def _project(project: ProjectUse) -> dict:
    match, proposal = project.match, project.match.proposal
    return {"match_id": match.id, "run_id": match.run_id, "status": match.status,
            "proposal_id": proposal.id, "title": proposal.title,
            "organisation": proposal.organisation, "proposal_status": proposal.status,
            "budget": format_amount(match.budget, "CNY"), "people": match.people,
            "people_share": hundredths(project.people_share),
            **{name: format_amount(getattr(project, name), "CNY") for name in (
                "share", "paid", "held", "released")},
            "needs": [{"category": n.category, "category_name": CATEGORY_NAMES_ZH[n.category],
                       "urgency": n.urgency, "urgency_name": URGENCY_NAMES_ZH[n.urgency],
                       "needs": n.needs, "people": n.people} for n in project.needs]}


def _trail_body(found: DonationTrail) -> dict:
    donation, currency = found.donation, found.donation.currency
    totals: dict[str, int] = defaultdict(int)
    for part in found.parts:
        totals[part.kind] += part.amount
    return {"donation": {
                "id": donation.id, "donor": donation.donor.display_name,
                "fund": donation.fund.code, "fund_name": donation.fund.name,
                "pool": donation.fund.pool.code, "amount": format_amount(donation.amount, currency),
                "currency": currency, "channel": donation.channel,
                "received_date": donation.received_date,
                "refunded": format_amount(donation.refunded, currency),
                "pass_through_recipient": donation.pass_through_recipient},
            "kind": found.kind, "rule": RULE, "followed": found.followed,
            "parts": [_part(part, donation, currency) for part in found.parts],
            "totals": [{"kind": kind, "amount": format_amount(amount, currency)}
                       for kind, amount in totals.items()],
            "refunds": [{"entry_id": r.entry_id, "date": r.date,
                         "amount": format_amount(r.amount, currency)} for r in found.refunds]}


def _part(part: Part, donation: Donation, currency: str) -> dict:
    proposal = part.match.proposal if part.match is not None else None
    others_refund = part.kind == "refund" and part.refund_of != donation.id
    return {"kind": part.kind, "amount": format_amount(part.amount, currency),
            "fund": part.fund.code, "fund_name": part.fund.name, "pool": part.fund.pool.code,
            "date": part.date, "entry_id": part.entry_id,
            "via": [{"allocation_id": hop.allocation.id, "date": hop.date,
                     "source": hop.allocation.source.code, "target": hop.allocation.target.code}
                    for hop in part.via],
            "match_id": part.match.id if part.match is not None else None,
            "proposal_id": proposal.id if proposal is not None else None,
            "title": proposal.title if proposal is not None else None,
            "organisation": proposal.organisation if proposal is not None else None,
            "refund_of": part.refund_of,
            "target": part.allocation.target.code if part.allocation is not None else None,
            "recipient": part.recipient,
            "memo": "" if others_refund else part.memo}
