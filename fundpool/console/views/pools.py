"""The administrator's pool page: the pool's funds with their money, and its recent entries.

Admins read their own subtree, auditors every pool (the API's rule for pool reports)."""

from __future__ import annotations

from flask import render_template, request

from fundpool.api.requests import db_session
from fundpool.auth.scope import require_pool_reader
from fundpool.console.blueprint import bp
from fundpool.console.signin import signed_in, viewer
from fundpool.pools.service import get_pool, list_pools
from fundpool.reports.fund_flows import pool_funds, recent_entries

ENTRIES_PER_PAGE = 25


@bp.route("/pools/<code>")
@signed_in
def pool(code: str):
    session = db_session()
    found = get_pool(session, code)
    require_pool_reader(viewer(), found.code, "code")
    before = request.args.get("before", type=int)
    children = list_pools(session, parent_code=found.code, limit=200).items
    return render_template(
        "console/pool.html", pool=found, funds=pool_funds(session, found), children=children,
        entries=recent_entries(session, found, before, ENTRIES_PER_PAGE), before=before)
