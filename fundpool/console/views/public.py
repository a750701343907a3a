"""The public transparency page (慈善信息公开): no sign-in. Raised, granted, donations and
people served month by month, for the city and down its pools, and for each fund.

The figures are fundpool.reports.public_page's, the same aggregates the public API gives;
nothing here reads a donor, an account or a single gift. These views deliberately carry no
``@signed_in``.
"""

from __future__ import annotations

from flask import render_template, request

from fundpool.api.requests import db_session
from fundpool.console.blueprint import bp
from fundpool.errors import InvalidInput
from fundpool.ledger.money import format_amount
from fundpool.ledger.posting import today
from fundpool.reports.public_figures import Figures, month_range
from fundpool.reports.public_page import public_fund, public_pool
from fundpool.reports.scope import city_code

CHART_CURRENCY = "CNY"


@bp.route("/public")
def public_home():
    return _pool_page(city_code(db_session()))


@bp.route("/public/pools/<code>")
def public_pool_page(code: str):
    return _pool_page(code)


@bp.route("/public/funds/<code>")
def public_fund_page(code: str):
    first, last = _months()
    fund, figures = public_fund(db_session(), code, first, last)
    return render_template("console/public_fund.html", fund=fund, figures=figures,
                           chart=_chart(figures), year=first.year, years=_years())


def _pool_page(code: str):
    first, last = _months()
    found = public_pool(db_session(), code, first, last)
    return render_template("console/public_pool.html", found=found, figures=found.figures,
                           chart=_chart(found.figures), year=first.year, years=_years())


def _months():
    """The year asked for (``?year=``), its months so far; by default this year."""
    text = request.args.get("year")
    if text is not None and not (len(text) == 4 and text.isdigit()):
        raise InvalidInput("{text!r} is not a year: write YYYY, e.g. 2026", "year", text=text)
    return month_range(today(), int(text) if text else None)


def _years() -> list[int]:
    this = today().year
    return list(range(this, this - 5, -1))


def _chart(figures: Figures) -> dict:
    """What the bar chart draws: month labels and CNY raised and granted, as decimal strings
    (the page's tables carry every currency)."""
    def amounts(what: str) -> list[str]:
        return [format_amount(getattr(month.money[CHART_CURRENCY], what)
                              if CHART_CURRENCY in month.money else 0, CHART_CURRENCY)
                for month in figures.months]
    return {"months": [month.month.label for month in figures.months],
            "raised": amounts("raised"), "granted": amounts("granted")}
