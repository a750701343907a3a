"""Fund endpoints: set up, read with balances, restrict, grant to a foundation, close."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.funds.schemas import (
    FundCreateSchema,
    FundPageSchema,
    FundQuerySchema,
    FundSchema,
    GrantSchema,
    RestrictionSchema,
)
from fundpool.api.ledger.scope import requested_range
from fundpool.api.pagination import QUERY, decode_cursor, page_body
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.writes import unit_of_work
from fundpool.audit.log import record
from fundpool.auth.principal import require_admin_of
from fundpool.auth.scope import granted_fund_ids, require_granted
from fundpool.auth.tokens import get_token
from fundpool.errors import Conflict, InvalidInput
from fundpool.funds import service
from fundpool.funds.models import Fund, FundGrant
from fundpool.ledger.money import parse_amount

blp = Blueprint("funds", __name__, url_prefix="/api/v1/funds",
                description="Funds: general (资金池), community, special and named")


def require_fund_readable(session, fund: Fund) -> None:
    viewer = principal()
    if viewer.role == "auditor":
        return
    if viewer.role == "foundation":
        require_granted(session, viewer, fund)
        return
    require_admin_of(viewer, fund.pool.code, "code")


def restriction_of(body: dict | None) -> service.Restriction:
    if body is None:
        return service.Restriction()
    limit = body["per_grant_limit"]
    return service.Restriction(
        categories=tuple(body["categories"]), area_codes=tuple(body["area_codes"]),
        valid_from=body["valid_from"], valid_to=body["valid_to"],
        per_grant_limit=None if limit is None else parse_amount(
            limit, "CNY", "restriction.per_grant_limit"))


@blp.route("")
class Funds(MethodView):
    @blp.arguments(FundQuerySchema, **QUERY)
    @blp.response(200, FundPageSchema)
    @documents_errors(blp, 403, 404)
    def get(self, args):
        """List funds: admins their subtree, auditors all, foundations those granted to them."""
        session, viewer = db_session(), principal()
        after = decode_cursor(args["cursor"], int)
        if viewer.role == "foundation":
            return page_body(service.list_funds(session, fund_ids=granted_fund_ids(
                session, viewer), kind=args.get("kind"), after=after, limit=args["limit"]))
        scope = requested_range(session, viewer, args.get("within"))
        return page_body(service.list_funds(
            session, low=scope.low if scope else None, high=scope.high if scope else None,
            kind=args.get("kind"), after=after, limit=args["limit"]))

    @unit_of_work(blp)
    @blp.arguments(FundCreateSchema)
    @blp.response(201, FundSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body):
        """Set up a community, special or named fund in a pool; its accounts open in CNY."""
        require_admin_of(principal(), body["pool_code"], "pool_code")
        if not body["restricted"] and body["restriction"] is not None:
            raise InvalidInput("an unrestricted fund has no restriction; set restricted to true",
                               "restricted")
        return service.create_fund(db_session(), principal().actor, service.NewFund(
            code=body["code"], name=body["name"], name_en=body["name_en"], kind=body["kind"],
            pool_code=body["pool_code"], restricted=body["restricted"],
            named_for=body["named_for"], restriction=restriction_of(body["restriction"])))


@blp.route("/<string:code>")
class FundByCode(MethodView):
    @blp.response(200, FundSchema)
    @documents_errors(blp, 403, 404)
    def get(self, code):
        """Read a fund with its accounts and balances."""
        session = db_session()
        fund = service.get_fund(session, code, "code")
        require_fund_readable(session, fund)
        return fund


@blp.route("/<string:code>/restriction")
class FundRestriction(MethodView):
    @unit_of_work(blp)
    @blp.arguments(RestrictionSchema)
    @blp.response(200, FundSchema)
    @documents_errors(blp, 403, 404, 409)
    def put(self, body, code):
        """Change what a restricted fund may pay for. Money is not touched."""
        session = db_session()
        require_admin_of(principal(), service.get_fund(session, code, "code").pool.code, "code")
        return service.update_restriction(session, principal().actor, code, restriction_of(body))


@blp.route("/<string:code>/close")
class CloseFund(MethodView):
    @unit_of_work(blp)
    @blp.response(200, FundSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, code):
        """Close a fund that holds nothing any more.

        Its money and what it owes (1002, 1009, 1201, 1701, 2601) must be at zero with nothing
        held; its income and net assets stay as history. Then nothing more posts to it."""
        session = db_session()
        require_admin_of(principal(), service.get_fund(session, code, "code").pool.code, "code")
        return service.close_fund(session, principal().actor, code)


@blp.route("/<string:code>/grants")
class FundGrants(MethodView):
    @unit_of_work(blp)
    @blp.arguments(GrantSchema)
    @blp.response(201, FundSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, code):
        """Let a foundation token read this fund (its balances, statement, where money went)."""
        session = db_session()
        fund = service.get_fund(session, code, "code")
        require_admin_of(principal(), fund.pool.code, "code")
        token = get_token(session, body["token_id"])
        if token.role != "foundation":
            raise InvalidInput(f"token {token.id} is a {token.role} token, not a foundation's",
                               "token_id")
        if session.get(FundGrant, (token.id, fund.id)) is not None:
            raise Conflict(f"token {token.id} can already read fund {code}", "token_id")
        session.add(FundGrant(token_id=token.id, fund_id=fund.id))
        record(session, principal().actor, "fund.grant", "fund", code, token_id=token.id)
        return fund
