"""Donor, donation, refund, receipt-book and receipt endpoints."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.donations.schemas import (BookCreateSchema, BookSchema, DonationCreateSchema,
                                            DonationPageSchema, DonationQuerySchema,
                                            DonationSchema, DonorCreateSchema, DonorSchema,
                                            ReceiptPageSchema, ReceiptQuerySchema, RefundSchema)
from fundpool.api.funds.resources import granted_fund_ids, require_fund_readable
from fundpool.api.ledger.scope import requested_range
from fundpool.api.pagination import QUERY, decode_cursor, page_body
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.writes import unit_of_work
from fundpool.auth.principal import require_admin_of, require_role
from fundpool.donations import receipts, service
from fundpool.funds.service import get_fund
from fundpool.ledger.money import parse_amount
from fundpool.pools.service import get_pool

blp = Blueprint("donations", __name__, url_prefix="/api/v1",
                description="Donors, donations, refunds and official receipts")


class _Shown:
    """A record plus a note for the response (e.g. the receipt book runs low)."""

    def __init__(self, record, warning: str | None) -> None:
        self._record, self.warning = record, warning

    def __getattr__(self, name):
        return getattr(self._record, name)


@blp.route("/donors")
class Donors(MethodView):
    @unit_of_work(blp)
    @blp.arguments(DonorCreateSchema)
    @blp.response(201, DonorSchema)
    @documents_errors(blp, 403)
    def post(self, body):
        """Register a donor (admins). Keep only what a receipt needs."""
        require_role(principal(), "admin")
        return service.create_donor(db_session(), principal().actor, service.NewDonor(**body))


@blp.route("/donors/<int:donor_id>")
class DonorById(MethodView):
    @blp.response(200, DonorSchema)
    @documents_errors(blp, 403, 404)
    def get(self, donor_id):
        """Read a donor; identity numbers are masked except for auditors. Auditors and the
        city's admins read every donor, another admin a donor who gave to a fund of their
        subtree (else 403)."""
        require_role(principal(), "admin", "auditor")
        session = db_session()
        donor = service.get_donor(session, donor_id)
        service.require_donor_reader(session, principal(), donor)
        return donor


@blp.route("/donations")
class Donations(MethodView):
    @blp.arguments(DonationQuerySchema, **QUERY)
    @blp.response(200, DonationPageSchema)
    @documents_errors(blp, 403, 404)
    def get(self, args):
        """List donations: admins their subtree, auditors all, foundations their funds'."""
        session, viewer = db_session(), principal()
        fund_id = None
        if "fund" in args:
            fund = get_fund(session, args["fund"], "fund")
            require_fund_readable(session, fund)
            fund_id = fund.id
        after = decode_cursor(args["cursor"], int)
        if viewer.role == "foundation":
            return page_body(service.list_donations(
                session, fund_id=fund_id, fund_ids=granted_fund_ids(session, viewer),
                channel=args.get("channel"), after=after, limit=args["limit"]))
        scope = requested_range(session, viewer, args.get("within"))
        return page_body(service.list_donations(
            session, low=scope.low if scope else None, high=scope.high if scope else None,
            fund_id=fund_id, channel=args.get("channel"), after=after, limit=args["limit"]))

    @unit_of_work(blp)
    @blp.arguments(DonationCreateSchema())
    @blp.response(201, DonationSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body):
        """Record a donation: its entry and its receipt number land with it, or nothing does."""
        session = db_session()
        fund = get_fund(session, body["fund"], "fund")
        require_admin_of(principal(), fund.pool.code, "fund")
        recorded = service.record_donation(session, principal().actor, service.NewDonation(
            donor_id=body["donor_id"], fund=fund,
            amount=parse_amount(body["amount"], body["currency"], "amount"),
            currency=body["currency"], channel=body["channel"], channel_ref=body["channel_ref"],
            received_date=body["received_date"], purpose=body["purpose"],
            issue_receipt=body["issue_receipt"], in_kind_description=body["in_kind_description"],
            valuation_basis=body["valuation_basis"], pass_through=body["pass_through"]))
        return _Shown(recorded.donation, recorded.warning)


@blp.route("/donations/<int:donation_id>")
class DonationById(MethodView):
    @blp.response(200, DonationSchema)
    @documents_errors(blp, 403, 404)
    def get(self, donation_id):
        """Read a donation with its donor, fund, entry and receipt."""
        session = db_session()
        donation = service.get_donation(session, donation_id)
        require_fund_readable(session, donation.fund)
        return _Shown(donation, None)


@blp.route("/donations/<int:donation_id>/refund")
class RefundDonation(MethodView):
    @unit_of_work(blp)
    @blp.arguments(RefundSchema)
    @blp.response(200, DonationSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, donation_id):
        """Refund all or part of a donation; refused if the fund has spent the money."""
        session = db_session()
        donation = service.get_donation(session, donation_id)
        require_admin_of(principal(), donation.fund.pool.code, "donation_id")
        amount = parse_amount(body["amount"], donation.currency, "amount")
        return _Shown(service.refund(session, principal().actor, donation_id, amount,
                                     body["reason"]), None)


@blp.route("/pools/<string:code>/receipt-books")
class ReceiptBooks(MethodView):
    @blp.response(200, BookSchema(many=True))
    @documents_errors(blp, 403, 404)
    def get(self, code):
        """The pool's receipt books and how many numbers each has left."""
        session = db_session()
        _require_pool_reader(code)
        return receipts.list_books(session, get_pool(session, code).id)

    @unit_of_work(blp)
    @blp.arguments(BookCreateSchema)
    @blp.response(201, BookSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, code):
        """Register a receipt book drawn from the finance authority (票据代码 + 号码 range)."""
        require_admin_of(principal(), code, "code")
        session = db_session()
        return receipts.register_book(session, principal().actor, get_pool(session, code),
                                      body["code"], body["first_number"], body["last_number"])


@blp.route("/receipts")
class Receipts(MethodView):
    @blp.arguments(ReceiptQuerySchema, **QUERY)
    @blp.response(200, ReceiptPageSchema)
    @documents_errors(blp, 403, 404)
    def get(self, args):
        """Receipts a pool issued in a year (China time), voided ones included."""
        session = db_session()
        _require_pool_reader(args["pool"])
        pool = get_pool(session, args["pool"], field="pool")
        return page_body(receipts.list_receipts(session, pool.id, args["year"],
                                                decode_cursor(args["cursor"], int), args["limit"]))


def _require_pool_reader(code: str) -> None:
    if principal().role != "auditor":
        require_admin_of(principal(), code, "pool")
