"""Paying a pass-through gift (受托代理) on to the recipient its donor designated.

Registered on the donations blueprint (imported by the package, before the blueprint is
registered); the rules are fundpool.donations.pass_through's.
"""

from __future__ import annotations

from flask.views import MethodView

from fundpool.api.donations.resources import _Shown, blp
from fundpool.api.donations.schemas import DonationSchema, PayOnSchema
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.writes import unit_of_work
from fundpool.auth.principal import require_admin_of
from fundpool.donations import pass_through, service
from fundpool.ledger.money import parse_amount


@blp.route("/donations/<int:donation_id>/pay-on")
class PayOnDonation(MethodView):
    @unit_of_work(blp)
    @blp.arguments(PayOnSchema)
    @blp.response(200, DonationSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, donation_id):
        """Pay all or part of a pass-through gift on to its designated recipient.

        Posts Dr 2601 受托代理负债 / Cr 1701 受托代理资产 on the gift's fund. Payments add up
        to at most the gift less what was refunded (422 naming `amount` beyond that); an
        ordinary gift is the fund's income and cannot be paid on (409). Admins of the fund's
        pool subtree.
        """
        session = db_session()
        donation = service.get_donation(session, donation_id)
        require_admin_of(principal(), donation.fund.pool.code, "donation_id")
        payment = pass_through.PayOn(
            amount=parse_amount(body["amount"], donation.currency, "amount"),
            paid_date=body["paid_date"], reference=body["reference"], memo=body["memo"])
        return _Shown(pass_through.pay_on(session, principal().actor, donation_id, payment),
                      None)
