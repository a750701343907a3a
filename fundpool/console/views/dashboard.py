"""The home page: a pool with this month's money and the pools directly below it; an
administrator starts at their own pool and can open any pool below it the same way."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from fundpool.api.requests import db_session
from fundpool.auth.principal import require_role
from fundpool.console.blueprint import bp
from fundpool.console.signin import signed_in, viewer
from fundpool.errors import Forbidden
from fundpool.ledger.posting import today
from fundpool.reports.dashboard import pool_tree
from fundpool.reports.scope import city_code


@bp.route("/")
@signed_in
def dashboard():
    who = viewer()
    if who.role == "foundation":
        return redirect(url_for("console.foundation_funds"))
    code = who.pool_code if who.role == "admin" else city_code(db_session())
    return _tree(code)


@bp.route("/dashboard/<code>")
@signed_in
def dashboard_of(code: str):
    who = viewer()
    require_role(who, "admin", "auditor")
    if who.role == "admin" and not who.covers(code):
        raise Forbidden("pool {code} is outside your scope (pool {own} and below)", code=code,
                        own=who.pool_code)
    return _tree(code)


def _tree(code: str):
    pool, children = pool_tree(db_session(), code, today())
    return render_template("console/dashboard.html", pool=pool, children=children)
