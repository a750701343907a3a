"""A foundation's pages: the funds granted to it, each with its statement, where its money
went, and the statement as a download. The read rule is fundpool.auth.scope's, as the API's."""

from __future__ import annotations

import os

from flask import Response, abort, render_template, request, send_file
from flask_babel import lazy_gettext as N_

from fundpool.api.requests import db_session
from fundpool.auth.principal import require_role
from fundpool.auth.scope import require_fund_reader
from fundpool.console.blueprint import bp
from fundpool.console.signin import signed_in, viewer
from fundpool.errors import Forbidden
from fundpool.exports.statement_export import STATEMENT_HEADER, statement_rows
from fundpool.exports.writers import MEDIA_TYPES, csv_chunks, xlsx_file
from fundpool.funds.models import Fund
from fundpool.funds.service import get_fund
from fundpool.ledger.posting import today
from fundpool.reports.fund_uses import fund_uses, hundredths
from fundpool.reports.granted_funds import fund_money, granted_funds
from fundpool.reports.periods import parse_day, report_period
from fundpool.reports.statements import statement

NOT_GRANTED = "this fund has not been granted to your foundation"
MESSAGES = (N_("this fund has not been granted to your foundation"),
            N_("these pages are for foundations"))
#: Data words the fund pages show: fund kinds, entry kinds and grant statuses.
WORDS = (N_("general"), N_("community"), N_("special"), N_("named"), N_("donation"),
         N_("refund"), N_("allocation"), N_("return"), N_("grant"), N_("disbursement"),
         N_("reversal"), N_("closing"), N_("approved"), N_("completed"), N_("cancelled"))
DOWNLOADS = ("csv", "xlsx")


@bp.route("/foundation/funds")
@signed_in
def foundation_funds():
    who = _foundation()
    return render_template("console/foundation_funds.html",
                           funds=granted_funds(db_session(), who))


@bp.route("/foundation/funds/<code>")
@signed_in
def foundation_fund(code: str):
    fund = _granted(code)
    date_from, date_to = _period()
    session = db_session()
    return render_template("console/foundation_fund.html", fund=fund,
                           money=fund_money(session, fund),
                           report=statement(session, fund, date_from, date_to),
                           uses=fund_uses(session, fund), hundredths=hundredths,
                           date_from=date_from, date_to=date_to, downloads=DOWNLOADS)


@bp.route("/foundation/funds/<code>/statement.<kind>")
@signed_in
def foundation_statement(code: str, kind: str):
    """The statement shown on the fund's page, as the API's statement download writes it."""
    if kind not in DOWNLOADS:
        abort(404)
    fund = _granted(code)
    date_from, date_to = _period()
    rows = list(statement_rows(statement(db_session(), fund, date_from, date_to), today()))
    name = f"statement-{fund.code}-{date_from.isoformat()}-{date_to.isoformat()}.{kind}"
    if kind == "xlsx":
        workbook = xlsx_file(STATEMENT_HEADER, rows, sheet_title="statement")
        response = send_file(workbook, mimetype=MEDIA_TYPES["xlsx"], as_attachment=True,
                             download_name=name, conditional=False, etag=False)
        response.content_length = os.fstat(workbook.fileno()).st_size
        return response
    response = Response(b"".join(csv_chunks(STATEMENT_HEADER, rows)), mimetype=MEDIA_TYPES["csv"])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _foundation():
    who = viewer()
    try:
        require_role(who, "foundation")
    except Forbidden:
        abort(403, description="these pages are for foundations")
    return who


def _granted(code: str) -> Fund:
    """The fund (404 when unknown, as the API answers), if granted to this foundation."""
    who = _foundation()
    fund = get_fund(db_session(), code, "code")
    try:
        require_fund_reader(db_session(), who, fund, "code")
    except Forbidden:
        abort(403, description=NOT_GRANTED)
    return fund


def _period():
    return report_period(parse_day(request.args.get("from"), "from"),
                         parse_day(request.args.get("to"), "to"), today())
