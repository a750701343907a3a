"""The needs register for administrators (and auditors, read-only): filters, a page at a time."""

from __future__ import annotations

from flask import render_template, request

from fundpool.api.requests import db_session
from fundpool.console.blueprint import bp
from fundpool.console.signin import signed_in
from fundpool.console.views.matching import (
    PAGE_SIZE,
    category_choice,
    choice,
    next_page,
    reader,
    whole,
    within,
)
from fundpool.funds.models import CATEGORIES
from fundpool.matching.models import NEED_STATUSES, URGENCIES
from fundpool.matching.needs import list_needs


@bp.route("/needs")
@signed_in
def needs():
    who = reader()
    page = list_needs(db_session(), within=within(who), category=category_choice(),
                      urgency=choice("urgency", URGENCIES), status=choice("status", NEED_STATUSES),
                      after=whole("after"), limit=PAGE_SIZE)
    return render_template("console/matching_needs.html", page=page, args=request.args,
                           categories=CATEGORIES, urgencies=URGENCIES, statuses=NEED_STATUSES,
                           next_url=next_page("after", page.next_after))
