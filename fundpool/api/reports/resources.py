"""Report endpoints: balances and rollups, fund statements, trial balance, activity statement.

Auditors read any pool; admins their own subtree; foundations only the funds granted to
them (their statements and balances). The figures are fundpool.reports'; this module
parses, authorises and renders.
"""

from __future__ import annotations

import os
from datetime import date

from flask import Response, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.pagination import QUERY
from fundpool.api.reports.schemas import (
    ActivityQuerySchema,
    ActivitySchema,
    BalancesQuerySchema,
    BalancesSchema,
    StatementQuerySchema,
    StatementSchema,
    TrialBalanceQuerySchema,
    TrialBalanceSchema,
)
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.auth.principal import require_role
from fundpool.auth.scope import require_fund_reader, require_pool_reader
from fundpool.errors import InvalidInput
from fundpool.exports.statement_export import STATEMENT_HEADER, statement_rows
from fundpool.exports.writers import MEDIA_TYPES, csv_chunks, xlsx_file
from fundpool.funds.models import Fund
from fundpool.funds.service import get_fund
from fundpool.ledger.money import format_amount
from fundpool.ledger.posting import today
from fundpool.reports.activity import ROWS, activity
from fundpool.reports.balances import balances
from fundpool.reports.periods import not_future, report_period
from fundpool.reports.scope import Scope, fund_scope, pool_scope
from fundpool.reports.statements import FundStatement, statement
from fundpool.reports.trial_balance import trial_balance

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Balances and rollups, fund statements, trial balance (试算平衡表), "
                            "activity statement (业务活动表)")
FILE = {"type": "string", "format": "binary"}


def _pool_reader(code: str) -> Scope:
    """Auditors any pool, admins their subtree; 404 for an unknown pool first."""
    require_role(principal(), "admin", "auditor")
    scope = pool_scope(db_session(), code)
    require_pool_reader(principal(), code)
    return scope


def _fund_reader(code: str, field: str) -> Fund:
    fund = get_fund(db_session(), code, field)
    require_fund_reader(db_session(), principal(), fund, field)
    return fund


def _not_future(day: date | None, field: str) -> None:
    not_future(day, today(), field)


def _period(args) -> tuple[date, date]:
    return report_period(args.get("date_from"), args.get("date_to"), today())


@blp.route("/balances")
class Balances(MethodView):
    @blp.arguments(BalancesQuerySchema, **QUERY)
    @blp.response(200, BalancesSchema)
    @documents_errors(blp, 403, 404, 422)
    def get(self, args):
        """Balances per chart code and currency: of a pool's whole subtree (default), of a
        pool's own funds (`subtree=false`) or of one fund (`fund`), now or `as_of` a day."""
        if ("pool" in args) == ("fund" in args):
            raise InvalidInput("name either a pool or a fund", "pool")
        _not_future(args.get("as_of"), "as_of")
        session = db_session()
        if "fund" in args:
            fund = _fund_reader(args["fund"], "fund")
            scope, subtree = fund_scope(fund), False
        else:
            _pool_reader(args["pool"])
            scope, subtree = pool_scope(session, args["pool"], args["subtree"]), args["subtree"]
        lines = balances(session, scope, args.get("as_of"))
        return {"pool": args.get("pool"), "fund": args.get("fund"), "subtree": subtree,
                "as_of": args.get("as_of"), "balances": [{
                    "chart_code": line.chart_code, "name": line.name, "type": line.type,
                    "currency": line.currency, "accounts": line.accounts,
                    "balance": format_amount(line.balance, line.currency),
                    "pending": _maybe(line.pending, line.currency),
                    "available": _maybe(line.available, line.currency)} for line in lines]}


def _maybe(amount: int | None, currency: str) -> str | None:
    return None if amount is None else format_amount(amount, currency)


@blp.route("/trial-balance")
class TrialBalance(MethodView):
    @blp.arguments(TrialBalanceQuerySchema, **QUERY)
    @blp.response(200, TrialBalanceSchema)
    @documents_errors(blp, 403, 404, 422)
    def get(self, args):
        """The trial balance (试算平衡表) of a pool's subtree as of a day: every account with
        its debit and credit totals and its balance on one side; totals per currency."""
        _not_future(args.get("as_of"), "as_of")
        scope = _pool_reader(args["pool"])
        report = trial_balance(db_session(), scope, args.get("as_of") or today())
        return {"pool": args["pool"], "as_of": report.as_of, "balanced": report.balanced,
                "lines": [{
                    "account": line.account, "chart_code": line.chart_code, "name": line.name,
                    "pool_code": line.pool_code, "fund_code": line.fund_code,
                    "currency": line.currency,
                    **{name: format_amount(getattr(line, name), line.currency) for name in (
                        "debits", "credits", "balance_debit", "balance_credit")}}
                    for line in report.lines],
                "totals": [{
                    "currency": total.currency, "balanced": total.balanced,
                    **{name: format_amount(getattr(total, name), total.currency) for name in (
                        "debits", "credits", "balance_debit", "balance_credit", "boundary")}}
                    for total in report.totals]}


@blp.route("/activity")
class ActivityStatement(MethodView):
    @blp.arguments(ActivityQuerySchema, **QUERY)
    @blp.response(200, ActivitySchema)
    @documents_errors(blp, 403, 404, 422)
    def get(self, args):
        """The activity statement (业务活动表) of a pool's subtree for a period: rows 捐赠收入,
        其他收入, 业务活动成本, 管理费用, 限定性净资产转为非限定性净资产, 净资产变动额; columns
        非限定性, 限定性, 合计; per currency, in total and by fund (docs/reports.md)."""
        date_from, date_to = _period(args)
        scope = _pool_reader(args["pool"])
        report = activity(db_session(), scope, date_from, date_to)
        return {"pool": args["pool"], "date_from": date_from, "date_to": date_to,
                "totals": [_part(currency, None, None, figures)
                           for currency, figures in report.totals.items()],
                "by_fund": [_part(currency, code, report.fund_names[code], figures)
                            for (currency, code), figures in report.by_fund.items()]}


def _part(currency, fund, fund_name, figures) -> dict:
    rows = figures.rows()
    return {"currency": currency, "fund": fund, "fund_name": fund_name, "rows": [{
        "row": key, "name": name, "name_en": name_en,
        "unrestricted": format_amount(rows[key][0], currency),
        "restricted": format_amount(rows[key][1], currency),
        "total": format_amount(sum(rows[key]), currency)} for key, name, name_en in ROWS]}


@blp.route("/funds/<string:code>/statement")
class Statement(MethodView):
    @blp.arguments(StatementQuerySchema, **QUERY)
    @blp.response(200, StatementSchema, description="The statement (format=json)")
    @blp.alt_response(200, schema=FILE, content_type=MEDIA_TYPES["csv"], success=True,
                      description="The statement as CSV (format=csv, UTF-8 with BOM)")
    @blp.alt_response(200, schema=FILE, content_type=MEDIA_TYPES["xlsx"], success=True,
                      description="The statement as XLSX (format=xlsx)")
    @documents_errors(blp, 403, 404, 422)
    def get(self, args, code):
        """A fund's statement for a period: per currency, the opening balance of its bank
        account (1002), every movement with its counterparty and the running balance, the
        closing balance and what is held now. Foundations: funds granted to them only."""
        date_from, date_to = _period(args)
        fund = _fund_reader(code, "code")
        report = statement(db_session(), fund, date_from, date_to)
        kind = args["format"]
        if kind == "json":
            return _statement_body(report)
        name = f"statement-{fund.code}-{date_from.isoformat()}-{date_to.isoformat()}.{kind}"
        rows = list(statement_rows(report, today()))
        if kind == "xlsx":
            workbook = xlsx_file(STATEMENT_HEADER, rows, sheet_title="statement")
            response = send_file(workbook, mimetype=MEDIA_TYPES["xlsx"], as_attachment=True,
                                 download_name=name, conditional=False, etag=False)
            response.content_length = os.fstat(workbook.fileno()).st_size
        else:
            response = Response(b"".join(csv_chunks(STATEMENT_HEADER, rows)),
                                mimetype=MEDIA_TYPES["csv"])
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "no-store"
        return response


def _statement_body(report: FundStatement) -> dict:
    return {"fund": report.fund.code, "fund_name": report.fund.name,
            "pool": report.fund.pool.code, "date_from": report.date_from,
            "date_to": report.date_to, "currencies": [{
                "currency": part.currency, "account": part.account,
                "opening": format_amount(part.opening, part.currency),
                "closing": format_amount(part.closing, part.currency),
                "held": format_amount(part.held, part.currency),
                "movements": [{
                    "entry_id": m.entry_id, "date": m.date, "kind": m.kind,
                    "counterparty": m.counterparty, "memo": m.memo,
                    "amount": _signed(m.amount, part.currency),
                    "balance": _signed(m.balance, part.currency)} for m in part.movements]}
                for part in report.currencies]}


def _signed(amount: int, currency: str) -> str:
    return ("-" if amount < 0 else "") + format_amount(abs(amount), currency)
