"""Allocation endpoints: move money down the hierarchy, or return it up."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.funds.resources import granted_fund_ids, require_fund_readable
from fundpool.api.ledger.schemas import Amount
from fundpool.api.ledger.scope import requested_range, subtree
from fundpool.api.pagination import QUERY, PageArgsSchema, decode_cursor, page_body, page_schema
from fundpool.api.pools.schemas import CODE
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.writes import unit_of_work
from fundpool.auth.principal import require_admin_of
from fundpool.funds.allocation import allocate, list_allocations
from fundpool.funds.service import get_fund
from fundpool.ledger.money import EXPONENTS, format_amount, parse_amount
from fundpool.ledger.posting import today

blp = Blueprint("allocations", __name__, url_prefix="/api/v1/allocations",
                description="Money moved between funds, down the hierarchy or back up")


class AllocationInSchema(ma.Schema):
    source_fund = ma.fields.String(required=True, metadata={"example": "440304"})
    target_fund = ma.fields.String(required=True, metadata={"example": "440304001"})
    amount = Amount(required=True)
    currency = ma.fields.String(load_default="CNY", validate=ma.validate.OneOf(list(EXPONENTS)))
    effective_date = ma.fields.Date(load_default=None)
    memo = ma.fields.String(load_default="", validate=ma.validate.Length(0, 500))


class AllocationSchema(ma.Schema):
    id = ma.fields.Integer()
    source_fund = ma.fields.Function(lambda a: a.source.code)
    target_fund = ma.fields.Function(lambda a: a.target.code)
    amount = ma.fields.Function(lambda a: format_amount(a.amount, a.currency))
    currency = ma.fields.String()
    direction = ma.fields.String(metadata={"enum": ["down", "up", "across"]})
    memo = ma.fields.String()
    entry_id = ma.fields.Integer()
    created_at = ma.fields.DateTime()


class AllocationQuerySchema(PageArgsSchema):
    fund = ma.fields.String(metadata={"description": "Allocations from or to this fund"})
    within = ma.fields.String(validate=CODE, metadata={
        "description": "Allocations from or to a fund in this pool's subtree"})


@blp.route("")
class Allocations(MethodView):
    @blp.arguments(AllocationQuerySchema, **QUERY)
    @blp.response(200, page_schema(AllocationSchema, "AllocationPageSchema"))
    @documents_errors(blp, 403, 404)
    def get(self, args):
        """List allocations: admins those from or to a fund in their subtree, auditors all,
        foundations those from or to a fund granted to them."""
        session, viewer = db_session(), principal()
        fund_id = None
        if "fund" in args:
            fund = get_fund(session, args["fund"], "fund")
            require_fund_readable(session, fund)
            fund_id = fund.id
        fund_ids = None
        if viewer.role == "foundation":
            fund_ids = granted_fund_ids(session, viewer)
            scope = subtree(session, args["within"]) if "within" in args else None
        else:
            scope = requested_range(session, viewer, args.get("within"))
        return page_body(list_allocations(
            session, fund_id=fund_id, fund_ids=fund_ids, low=scope.low if scope else None,
            high=scope.high if scope else None, after=decode_cursor(args["cursor"], int),
            limit=args["limit"]))

    @unit_of_work(blp)
    @blp.arguments(AllocationInSchema)
    @blp.response(201, AllocationSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body):
        """Allocate from a fund in your subtree to a fund above or below it (one entry)."""
        session = db_session()
        source = get_fund(session, body["source_fund"], "source_fund")
        target = get_fund(session, body["target_fund"], "target_fund")
        require_admin_of(principal(), source.pool.code, "source_fund")
        amount = parse_amount(body["amount"], body["currency"], "amount")
        return allocate(session, principal().actor, source, target, amount, body["currency"],
                        body["effective_date"] or today(), body["memo"])
