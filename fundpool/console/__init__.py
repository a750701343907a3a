"""The web console: server-rendered pages for administrators, foundations, auditors and
the public, over the same core services as the API (no business rule in a view)."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from fundpool.api.problems import DOMAIN_STATUS
from fundpool.console import views  # noqa: F401  adds the pages to the blueprint
from fundpool.console.blueprint import bp
from fundpool.console.forms import refuse_unstorable
from fundpool.console.i18n import init_i18n, problem_text, remember_language
from fundpool.console.nav import menu
from fundpool.console.signin import check_csrf, csrf_token, init_signin, viewer
from fundpool.errors import FundpoolError
from fundpool.settings import ConfigError


def init_console(app: Flask) -> None:
    if app.config["FUNDPOOL"].get("demo_sign_in") and \
            app.extensions["fundpool.db"].engine.dialect.name != "sqlite":
        raise ConfigError("demo_sign_in is for the demo's SQLite database only; it signs "
                          "every visitor in: unset it")
    init_i18n(app)
    init_signin(app)
    app.jinja_env.globals.update(viewer=viewer, csrf_token=csrf_token, menu=menu,
                                 has_page=lambda endpoint: endpoint in app.view_functions)
    app.register_blueprint(bp)


@bp.before_request
def _csrf() -> None:
    check_csrf()
    refuse_unstorable(request.values)


@bp.before_request
def _language() -> None:
    remember_language()


@bp.after_request
def _private(response):
    """Pages show balances and people: never kept by a shared cache."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(FundpoolError)
def _domain_error(error: FundpoolError):
    status = next(code for kind, (code, _) in DOMAIN_STATUS.items() if isinstance(error, kind))
    return render_template("console/error.html", status=status, message=problem_text(error),
                           field=error.field), status


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return render_template("console/error.html", status=error.code,
                           message=gettext(error.description) if error.description else "",
                           field=None), error.code
