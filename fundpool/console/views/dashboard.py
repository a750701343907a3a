"""The home page: an administrator's pool tree with this month's money."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from fundpool.api.requests import db_session
from fundpool.console.blueprint import bp
from fundpool.console.signin import signed_in, viewer
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
    pool, children = pool_tree(db_session(), code, today())
    return render_template("console/dashboard.html", pool=pool, children=children)
