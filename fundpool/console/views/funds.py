"""The administrator's fund page: its money, its statement for a period, its balance over
time and where its money came from and went (charts whose figures are also in tables).

The figures come from the core reports (statements.py, fund_uses.py, fund_flows.py); this
module only reads the period asked for, checks who may look and shapes the chart data."""

from __future__ import annotations

from functools import partial

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from fundpool.api.requests import db_session
from fundpool.auth.scope import require_fund_reader
from fundpool.console.blueprint import bp
from fundpool.console.i18n import current_language, party
from fundpool.console.signin import signed_in, viewer
from fundpool.funds.models import Fund
from fundpool.funds.service import get_fund
from fundpool.ledger.money import format_amount
from fundpool.ledger.posting import today
from fundpool.reports.fund_flows import Flow, balance_points, fund_flows, fund_line
from fundpool.reports.fund_uses import fund_uses
from fundpool.reports.periods import parse_day, report_period
from fundpool.reports.statements import statement


@bp.route("/funds/<code>")
@signed_in
def fund(code: str):
    session = db_session()
    found = get_fund(session, code, "code")
    require_fund_reader(session, viewer(), found, "code")
    date_from, date_to = report_period(parse_day(request.args.get("from"), "from"),
                                       parse_day(request.args.get("to"), "to"), today())
    shown = statement(session, found, date_from, date_to)
    points = {part.currency: balance_points(part, date_from, date_to)
              for part in shown.currencies}
    flows = fund_flows(session, found, fund_uses(session, found))
    label = partial(flow_label, english=_english_names(session, flows))
    chart = {"balance": [{"currency": currency, "points": [
                 [point.day.isoformat(), format_amount(point.balance, currency)]
                 for point in series]} for currency, series in points.items()
                 if currency == CHART_CURRENCY],
             "flows": _sankey(flows, label), "labels": {"balance": _("Balance"), "yuan": _("yuan")}}
    return render_template("console/fund.html", fund=found, line=fund_line(session, found),
                           statement=shown, points=points, flows=flows, chart=chart,
                           date_from=date_from, date_to=date_to, flow_label=label)


FUND_ENDS = ("fund", "fund_in", "fund_out")
#: The balance chart has one axis, in yuan: other currencies are in their tables only, never
#: drawn as if they were yuan (as the flows and the public page's chart are CNY only).
CHART_CURRENCY = "CNY"


def _english_names(session, flows: list[Flow]) -> dict[str, str]:
    """Fund code → English name of the funds at the flows' ends that have one, for the
    English page (the core's flows carry the Chinese names)."""
    if current_language() != "en":
        return {}
    codes = {end[1] for flow in flows for end in (flow.source, flow.target)
             if end[0] in FUND_ENDS}
    return {fund.code: fund.name_en for fund in session.scalars(
        select(Fund).where(Fund.code.in_(codes))) if fund.name_en}


def flow_label(end: tuple[str, str, str], english: dict[str, str] | None = None) -> str:
    """What an end of a flow band is called on the page (data names as they are, a fund by
    its English name on the English page when ``english`` has it)."""
    kind, key, name = end
    if kind in FUND_ENDS:
        name = (english or {}).get(key, name)
    if kind == "other_donors":
        return _("Other donors")
    if kind == "kept":
        return _("Still in the fund")
    if kind == "fund_in":
        return _("From %(name)s", name=name)
    if kind == "fund_out":
        return _("To %(name)s", name=name)
    if kind == "project":
        return _("Project: %(name)s", name=name)
    return party(name)


def _sankey(flows: list[Flow], label=flow_label) -> dict:
    """Nodes named by a unique id (a sankey joins bands by name) with their label apart."""
    nodes: dict[str, str] = {}
    links = []
    for flow in flows:
        ends = []
        for end in (flow.source, flow.target):
            node = f"{end[0]}:{end[1]}"
            nodes.setdefault(node, label(end))
            ends.append(node)
        links.append({"source": ends[0], "target": ends[1],
                      "value": format_amount(flow.amount, "CNY")})
    return {"nodes": [{"name": node, "label": label} for node, label in nodes.items()],
            "links": links}
