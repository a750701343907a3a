"""Public figures (慈善信息公开) under /api/v1/public: open to anyone, no token needed (a token
sent along is not read). Aggregates only — raised, granted, held, donations and people
served by month; a funded project's quarterly report; a fund's annual report — and donors
only by public name. The figures are fundpool.reports'; this module parses and renders.
"""

from __future__ import annotations

from datetime import date

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.pagination import QUERY, decode_cursor, page_body
from fundpool.api.public.schemas import (
    PublicFiguresQuerySchema,
    PublicFiguresSchema,
    PublicFundPageSchema,
    PublicFundReportSchema,
    PublicLangQuerySchema,
    PublicPageArgsSchema,
    PublicProjectPageSchema,
    PublicProjectReportSchema,
)
from fundpool.api.requests import db_session
from fundpool.errors import InvalidInput
from fundpool.funds.models import CATEGORY_NAMES_ZH, Fund
from fundpool.funds.service import get_fund, list_funds
from fundpool.ledger.money import format_amount
from fundpool.ledger.posting import today
from fundpool.matching.models import URGENCY_NAMES_ZH
from fundpool.paging import Page
from fundpool.pools.service import get_pool
from fundpool.reports.disclosure import (
    FundYear,
    ProjectReport,
    fund_year,
    funded_projects,
    project_report,
)
from fundpool.reports.masking import ANONYMOUS
from fundpool.reports.months import parse_month, parse_quarter
from fundpool.reports.public_figures import (
    Figures,
    fund_figures,
    month_range,
    pool_figures,
)
from fundpool.reports.scope import pool_scope

blp = Blueprint("public", __name__, url_prefix="/api/v1/public",
                description="Public figures and disclosure reports (慈善信息公开): aggregates "
                            "only, no token needed")
OPEN = {"security": []}


def public_operation(view):
    """No token, and the problems a public request can meet: 404 and 422."""
    view = blp.alt_response(422, "UNPROCESSABLE_ENTITY")(view)
    view = blp.alt_response(404, "NOT_FOUND")(view)
    return blp.doc(**OPEN)(view)


def _months(args):
    first = parse_month(args["month_from"], "from") if "month_from" in args else None
    last = parse_month(args["month_to"], "to") if "month_to" in args else None
    return month_range(today(), args.get("year"), first, last)


def _lang(args) -> str:
    asked = args.get("lang")
    if asked:
        return asked
    return request.accept_languages.best_match(tuple(ANONYMOUS), default="zh-CN")


@blp.route("/pools/<string:code>/figures")
class PoolFigures(MethodView):
    @blp.arguments(PublicFiguresQuerySchema, **QUERY)
    @blp.response(200, PublicFiguresSchema)
    @public_operation
    def get(self, args, code):
        """Money raised, granted and held, donations and people served, month by month, for a
        pool's whole subtree (a district = its own funds, its streets and their
        communities): `year`, or `from`/`to` months, default this year so far."""
        first, last = _months(args)
        session = db_session()
        figures = pool_figures(session, code, first, last)
        return {**_figures(figures), "pool": _pool(get_pool(session, code)), "fund": None}


@blp.route("/pools/<string:code>/funds")
class PoolFunds(MethodView):
    @blp.arguments(PublicPageArgsSchema, **QUERY)
    @blp.response(200, PublicFundPageSchema)
    @public_operation
    def get(self, args, code):
        """The funds of a pool's whole subtree (general, community, special and named), to
        read their figures and annual reports."""
        scope = pool_scope(db_session(), code, field="code")
        page = list_funds(db_session(), low=scope.low, high=scope.high,
                          after=decode_cursor(args["cursor"], int), limit=args["limit"])
        return _page(page, _fund)


@blp.route("/pools/<string:code>/projects")
class PoolProjects(MethodView):
    @blp.arguments(PublicPageArgsSchema, **QUERY)
    @blp.response(200, PublicProjectPageSchema)
    @public_operation
    def get(self, args, code):
        """The funded projects whose reserve pool lies in a pool's subtree, to read their
        quarterly reports."""
        scope = pool_scope(db_session(), code, field="code")
        page = funded_projects(db_session(), scope.low, scope.high,
                               decode_cursor(args["cursor"], int), args["limit"])
        return _page(page, _project_item)


@blp.route("/funds/<string:code>/figures")
class FundFigures(MethodView):
    @blp.arguments(PublicFiguresQuerySchema, **QUERY)
    @blp.response(200, PublicFiguresSchema)
    @public_operation
    def get(self, args, code):
        """The same figures for one fund."""
        first, last = _months(args)
        fund = get_fund(db_session(), code, "code")
        figures = fund_figures(db_session(), fund, first, last)
        return {**_figures(figures), "pool": None, "fund": _fund(fund)}


@blp.route("/projects/<int:proposal_id>/reports/<string:quarter>")
class ProjectQuarter(MethodView):
    @blp.response(200, PublicProjectReportSchema)
    @public_operation
    def get(self, proposal_id, quarter):
        """A funded project's quarterly report (`quarter` as 2026-Q4): who runs it, where,
        for whom, the funds paying and their shares, the grant approved, paid in the quarter
        and to date, and the needs and people it serves. Only projects that were funded."""
        report = project_report(db_session(), proposal_id, parse_quarter(quarter), today())
        return _project(report)


@blp.route("/funds/<string:code>/reports/<string:year>")
class FundAnnual(MethodView):
    @blp.arguments(PublicLangQuerySchema, **QUERY)
    @blp.response(200, PublicFundReportSchema)
    @public_operation
    def get(self, args, code, year):
        """A fund's annual report: opening balance, donations (count and total), the largest
        donors by public name, refunds, grants paid to each project, allocations in and
        out, closing balance and, for the year in progress, what is held now."""
        if not (len(year) == 4 and year.isdigit()):
            raise InvalidInput(f"{year!r} is not a year: write YYYY, e.g. 2026", "year")
        fund = get_fund(db_session(), code, "code")
        return _fund_year(fund_year(db_session(), fund, int(year), today(), _lang(args)))


def _page(page, render) -> dict:
    return page_body(Page([render(item) for item in page.items], page.next_after))


def _project_item(match) -> dict:
    proposal = match.proposal
    return {"id": proposal.id, "title": proposal.title, "organisation": proposal.organisation,
            "pool": _pool(proposal.pool), "status": proposal.status,
            "grant_status": match.status, "approved": _cny(match.budget),
            "people": match.people}


def _pool(pool) -> dict:
    return {"code": pool.code, "name": pool.name, "level": pool.level}


def _fund(fund: Fund) -> dict:
    return {"code": fund.code, "name": fund.name, "name_en": fund.name_en, "kind": fund.kind,
            "restricted": fund.restricted, "pool": _pool(fund.pool)}


def _money_list(money: dict) -> list[dict]:
    return [{"currency": currency, "raised": format_amount(m.raised, currency),
             "granted": format_amount(m.granted, currency)} for currency, m in money.items()]


def _figures(figures: Figures) -> dict:
    return {"month_from": figures.first.label, "month_to": figures.last.label,
            "months": [{"month": f.month.label, "donations": f.donations,
                        "people_served": f.people_served, "money": _money_list(f.money)}
                       for f in figures.months],
            "totals": {"donations": figures.totals.donations,
                       "people_served": figures.totals.people_served,
                       "money": _money_list(figures.totals.money)},
            "held": [{"currency": currency, "amount": format_amount(amount, currency)}
                     for currency, amount in figures.held.items()]}


def _cny(amount: int) -> str:
    return format_amount(amount, "CNY")


def _percent(part: int, whole: int) -> str:
    hundredths = (part * 10_000 * 2 + whole) // (2 * whole) if whole else 0
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _project(report: ProjectReport) -> dict:
    proposal, match = report.proposal, report.match
    return {
        "quarter": report.quarter.label, "date_from": report.quarter.first_day,
        "date_to": report.quarter.last_day,
        "project": {
            "id": proposal.id, "title": proposal.title, "organisation": proposal.organisation,
            "pool": _pool(proposal.pool), "status": proposal.status,
            "areas": [{"code": area.pool.code, "name": area.pool.name}
                      for area in sorted(proposal.areas, key=lambda a: a.pool.code)],
            "categories": [{"code": c, "name": CATEGORY_NAMES_ZH[c]}
                           for c in proposal.categories],
            "start_date": proposal.start_date, "end_date": proposal.end_date},
        "grant": {"status": match.status, "approved": _cny(report.approved),
                  "paid_in_quarter": _cny(report.paid_in_quarter),
                  "paid_to_date": _cny(report.paid_to_date), "held": _cny(report.held),
                  "completed_on": report.completed_on},
        "funds": [{"code": s.fund.code, "name": s.fund.name, "kind": s.fund.kind,
                   "share": _cny(s.share), "share_percent": _percent(s.share, report.approved),
                   "paid_in_quarter": _cny(s.paid_in_quarter),
                   "paid_to_date": _cny(s.paid_to_date)} for s in report.funds],
        "people": match.people, "people_served": report.people_served,
        "needs": [{"category": n.category, "category_name": CATEGORY_NAMES_ZH[n.category],
                   "urgency": n.urgency, "urgency_name": URGENCY_NAMES_ZH[n.urgency],
                   "needs": n.needs, "people": n.people} for n in report.needs]}


def _fund_year(report: FundYear) -> dict:
    fund = report.fund

    def part(p) -> dict:
        c = p.currency
        return {
            "currency": c,
            **{name: format_amount(getattr(p, name), c) for name in (
                "opening", "refunds", "grants_paid", "allocated_in", "allocated_out", "other",
                "closing")},
            "donations": {"count": p.donation_count, "total": format_amount(p.donations, c)},
            "held": None if p.held is None else format_amount(p.held, c),
            "largest_donors": [{"name": d.name, "kind": d.kind, "donations": d.donations,
                                "amount": format_amount(d.amount, c)}
                               for d in p.largest_donors],
            "projects": [{"id": x.proposal.id, "title": x.proposal.title,
                          "organisation": x.proposal.organisation,
                          "amount": format_amount(x.amount, c)} for x in p.projects],
            "allocations": [{"fund": a.fund.code, "fund_name": a.fund.name,
                             "pool": a.fund.pool.code,
                             "allocated_in": format_amount(a.allocated_in, c),
                             "allocated_out": format_amount(a.allocated_out, c)}
                            for a in p.allocations]}

    return {"fund": _fund(fund), "year": report.year, "date_from": date(report.year, 1, 1),
            "date_to": report.date_to,
            "restriction": {"categories": list(fund.categories or []),
                            "area_codes": list(fund.area_codes or []),
                            "valid_from": fund.valid_from, "valid_to": fund.valid_to},
            "currencies": [part(p) for p in report.currencies]}
