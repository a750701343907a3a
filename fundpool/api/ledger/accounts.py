"""Account endpoints: balances now and as of a date, and opening another currency."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.ledger.schemas import (
    AccountPageSchema,
    AccountQuerySchema,
    AccountSchema,
    AsOfSchema,
    BalanceAsOfSchema,
    CurrencySchema,
)
from fundpool.api.ledger.scope import requested_range, require_readable
from fundpool.api.pagination import QUERY, decode_cursor, page_body
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.writes import unit_of_work
from fundpool.auth.principal import require_admin_of
from fundpool.funds.service import get_fund
from fundpool.ledger.accounts import get_account, open_currency
from fundpool.ledger.balances import balance_as_of
from fundpool.ledger.money import format_amount
from fundpool.ledger.queries import list_accounts
from fundpool.pools.service import get_pool

blp = Blueprint("accounts", __name__, url_prefix="/api/v1",
                description="Accounts of the chart, with posted, pending and available balances")


@blp.route("/accounts")
class Accounts(MethodView):
    @blp.arguments(AccountQuerySchema, **QUERY)
    @blp.response(200, AccountPageSchema)
    @documents_errors(blp, 403, 404)
    def get(self, args):
        """List accounts (admins: their subtree; auditors: all), by id."""
        session = db_session()
        within = requested_range(session, principal(), args.get("within"))
        return page_body(list_accounts(
            session, within=within, pool_code=args.get("pool"),
            chart_code=args.get("chart_code"), currency=args.get("currency"),
            after=decode_cursor(args["cursor"], int), limit=args["limit"]))


@blp.route("/accounts/<string:code>")
class AccountByCode(MethodView):
    @blp.response(200, AccountSchema)
    @documents_errors(blp, 403, 404)
    def get(self, code):
        """Read an account with its posted, pending and available balances (constant time)."""
        account = get_account(db_session(), code, "code")
        require_readable(principal(), [account])
        return account


@blp.route("/accounts/<string:code>/balance")
class AccountBalanceAsOf(MethodView):
    @blp.arguments(AsOfSchema, **QUERY)
    @blp.response(200, BalanceAsOfSchema)
    @documents_errors(blp, 403, 404)
    def get(self, args, code):
        """The posted balance counting entries dated up to `as_of` (effective date order)."""
        session = db_session()
        account = get_account(session, code, "code")
        require_readable(principal(), [account])
        minor = balance_as_of(session, account, args["as_of"])
        return {"account": code, "currency": account.currency, "as_of": args["as_of"],
                "balance": format_amount(minor, account.currency)}


@blp.route("/pools/<string:code>/currencies")
class PoolCurrencies(MethodView):
    @unit_of_work(blp)
    @blp.arguments(CurrencySchema)
    @blp.response(201, AccountSchema(many=True))
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, code):
        """Open the pool's general fund accounts in another currency (HKD, USD, JPY)."""
        require_admin_of(principal(), code, "code")
        session = db_session()
        get_pool(session, code)
        return open_currency(session, principal().actor, get_fund(session, code, "code"),
                             body["currency"])


@blp.route("/funds/<string:code>/currencies")
class FundCurrencies(MethodView):
    @unit_of_work(blp)
    @blp.arguments(CurrencySchema)
    @blp.response(201, AccountSchema(many=True))
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, code):
        """Open a fund's accounts in another currency (HKD, USD, JPY), for gifts in it.

        Admins of the fund's pool subtree; the fund must be open. A pool's general fund can
        be opened here too (its code is the pool's)."""
        session = db_session()
        fund = get_fund(session, code, "code")
        require_admin_of(principal(), fund.pool.code, "code")
        return open_currency(session, principal().actor, fund, body["currency"])
