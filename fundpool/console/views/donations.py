"""Recording a donation from the console, and the donation with its receipt afterwards.

The form's write is the API's: ``record_donation`` posts the entry and takes the receipt
number (票据代码/号码) in the same transaction, here together with the new donor; any
domain error rolls it all back and comes back beside the field it names."""

from __future__ import annotations

from flask import (
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)

from fundpool.api.requests import db_session
from fundpool.auth.principal import Principal, require_admin_of, require_role
from fundpool.auth.scope import require_fund_reader
from fundpool.console.blueprint import bp
from fundpool.console.forms import write
from fundpool.console.signin import signed_in, viewer
from fundpool.donations import service
from fundpool.donations.models import CHANNELS, DONOR_KINDS
from fundpool.errors import Forbidden
from fundpool.funds.service import get_fund, list_funds
from fundpool.ledger.money import parse_amount
from fundpool.ledger.posting import today
from fundpool.pools.codes import subtree_bounds
from fundpool.reports.fund_flows import fund_line
from fundpool.reports.periods import parse_day

CURRENCY = "CNY"
FUNDS_LISTED = 500


@bp.route("/donations/new", methods=["GET", "POST"])
@signed_in
def new_donation():
    who = viewer()
    require_role(who, "admin")
    form = request.form if request.method == "POST" else {
        "fund": request.args.get("fund", ""), "received_date": today().isoformat(),
        "donor_kind": "individual", "channel": "bank_transfer", "issue_receipt": "on"}
    error = None
    if request.method == "POST":
        recorded, error = write(lambda session: _record(session, who, request.form))
        if isinstance(error, Forbidden):
            raise error
        if recorded is not None:
            if recorded.warning:
                flash(recorded.warning)
            return redirect(url_for("console.donation", donation_id=recorded.donation.id))
    return render_template("console/donation_form.html", funds=_funds(who), form=form,
                           error=error, channels=CHANNELS,
                           donor_kinds=DONOR_KINDS), 422 if error else 200


@bp.route("/donations/<int:donation_id>")
@signed_in
def donation(donation_id: int):
    session = db_session()
    found = service.get_donation(session, donation_id)
    require_fund_reader(session, viewer(), found.fund, "donation_id")
    return render_template("console/donation.html", donation=found,
                           line=fund_line(session, found.fund),
                           warnings=get_flashed_messages())


def _record(session, who: Principal, form) -> service.Recorded:
    """The form's fields to the core's calls: the donor first, then the gift."""
    fund = get_fund(session, form.get("fund", ""), "fund")
    require_admin_of(who, fund.pool.code, "fund")
    amount = parse_amount(form.get("amount", "").strip(), CURRENCY, "amount")
    received = parse_day(form.get("received_date"), "received_date") or today()
    anonymous = form.get("donor_anonymous") == "on"
    donor = service.create_donor(session, who.actor, service.NewDonor(
        kind=form.get("donor_kind", ""), name=form.get("donor_name", ""), anonymous=anonymous))
    return service.record_donation(session, who.actor, service.NewDonation(
        donor_id=donor.id, fund=fund, amount=amount, currency=CURRENCY,
        channel=form.get("channel", ""), channel_ref=form.get("channel_ref", "").strip(),
        received_date=received, purpose=form.get("purpose", "").strip(),
        in_kind_description=form.get("in_kind_description", "").strip() or None,
        valuation_basis=form.get("valuation_basis", "").strip() or None,
        issue_receipt=form.get("issue_receipt") == "on"))


def _funds(who: Principal):
    """The open funds the administrator may record gifts to."""
    low, high = subtree_bounds(who.pool_code, who.pool_level)
    return [fund for fund in list_funds(db_session(), low=low, high=high,
                                        limit=FUNDS_LISTED).items if fund.is_open]
