"""Signing in and out, accepting an invitation, switching language."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, redirect, render_template, request, session, url_for

from fundpool.api.requests import db_session
from fundpool.auth.users import accept_invite, device_tag_of
from fundpool.auth.users import sign_in as check_password
from fundpool.console.blueprint import bp
from fundpool.console.devices import device_tag, remember_device
from fundpool.console.i18n import LANGUAGES
from fundpool.console.signin import end_session, start_session, viewer
from fundpool.errors import FundpoolError, TooManyRequests

log = logging.getLogger("fundpool.console")
SAFE_PATH = re.compile(r"/[A-Za-z0-9/_.~%?=&+-]*")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    target = _local(request.values.get("next"))
    if request.method == "GET":
        if viewer() is not None:
            return redirect(target)
        return render_template("console/sign_in.html", next=target, error=None, login="",
                               demo=_demo_people())
    login = request.form.get("login", "")
    _warn_if_proxied()
    try:
        user = check_password(db_session(), login, request.form.get("password", ""),
                              request.remote_addr, device_tag=device_tag(login))
    except TooManyRequests as error:
        db_session().rollback()
        page = render_template("console/sign_in.html", next=target, error=error,
                               login=login, demo=_demo_people())
        return page, 429, {"Retry-After": str(error.retry_after)}
    except FundpoolError as error:
        db_session().commit()
        return render_template("console/sign_in.html", next=target, error=error,
                               login=login, demo=_demo_people()), 401
    db_session().commit()
    start_session(user.id, user.session_epoch)
    return remember_device(redirect(target), user.login, device_tag_of(user))


def _warn_if_proxied() -> None:
    """Say once, in the log, that a proxy forwards sign-ins nobody told us of: every client
    then counts as the proxy's address in the sign-in limit (``proxy_hops``)."""
    if (request.headers.get("X-Forwarded-For") and not current_app.config["FUNDPOOL"]["proxy_hops"]
            and not current_app.extensions.get("fundpool.proxy_warned")):
        current_app.extensions["fundpool.proxy_warned"] = True
        log.warning("sign-in requests carry X-Forwarded-For but proxy_hops is 0: every client "
                    "counts as the proxy's address in the sign-in limit; set proxy_hops")


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    end_session()
    return redirect(url_for("console.sign_in"))


@bp.route("/invite/<secret>", methods=["GET", "POST"])
def invite(secret: str):
    if request.method == "GET":
        return render_template("console/invite.html", error=None)
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        return render_template("console/invite.html", error=_Mismatch()), 422
    try:
        user = accept_invite(db_session(), secret, password)
    except FundpoolError as error:
        db_session().rollback()
        return render_template("console/invite.html", error=error), 422
    db_session().commit()
    start_session(user.id, user.session_epoch)
    return redirect(url_for("console.dashboard"))


@bp.route("/language/<code>", methods=["POST"])
def language(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_without_lang(_local(request.form.get("next"))))


def _without_lang(target: str) -> str:
    """The page to go back to, less its ``lang`` parameter: a page opened as ``?lang=en``
    would otherwise choose English again, and the switch would never leave it."""
    parts = urlsplit(target)
    kept = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if key != "lang"]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _demo_people():
    """On the demo, its accounts and password, so a visitor can try each role."""
    if not current_app.config["FUNDPOOL"].get("demo_sign_in"):
        return None
    from fundpool import demo
    return {"people": demo.PEOPLE, "password": demo.DEMO_PASSWORD}


class _Mismatch:
    message = "the two passwords differ"
    field = "password_again"


def _local(target: str | None) -> str:
    """Only a path on this site: an open redirect would help phishing. Browsers read
    ``//host``, ``/\\host`` and paths with tabs or newlines as other sites, so any of those,
    or anything with a scheme or host, sends the person to the dashboard instead."""
    if not target or not SAFE_PATH.fullmatch(target) or target.startswith("//"):
        return url_for("console.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("console.dashboard")
    return target
