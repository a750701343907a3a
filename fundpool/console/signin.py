"""Who is signed in to the console, and the CSRF check on every form.

The session cookie (signed with the app's secret key, HttpOnly, SameSite=Lax, Secure
unless serving plain HTTP on loopback) holds only the user id, the user's session epoch
and a CSRF token. Each request re-reads the user, so resetting someone's access or
revoking their identity ends their sessions at once.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from functools import wraps

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from fundpool.api.requests import db_session
from fundpool.auth.principal import Principal
from fundpool.auth.users import find_user, principal_of

SESSION_HOURS = 12
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def init_signin(app: Flask, secure_cookies: bool) -> None:
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=secure_cookies,
                      SESSION_COOKIE_NAME="fundpool_session",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS))


def start_session(user_id: int, epoch: int) -> None:
    language = session.get("lang")
    session.clear()
    session.permanent = True
    session.update(user=user_id, epoch=epoch, csrf=secrets.token_urlsafe(32))
    if language:
        session["lang"] = language


def end_session() -> None:
    language = session.get("lang")
    session.clear()
    session["signed_out"] = True
    if language:
        session["lang"] = language


def viewer() -> Principal | None:
    """The signed-in person's principal, read once per request."""
    if "console_viewer" not in g:
        user_id, epoch = session.get("user"), session.get("epoch")
        found = principal_of(db_session(), user_id, epoch) if user_id is not None else None
        db_session().rollback()
        g.console_viewer = found
    return g.console_viewer


def signed_in(view):
    """Send people who are not signed in to the sign-in page, then back here."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if viewer() is None and not _demo_sign_in():
            return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapper


def _demo_sign_in() -> bool:
    """On the demo (setting ``demo_sign_in``), open signed in as its user, unless the
    visitor signed out to try another account."""
    login = current_app.config["FUNDPOOL"].get("demo_sign_in")
    if not login or session.get("signed_out"):
        return False
    user = find_user(db_session(), login)
    db_session().rollback()
    if user is None:
        return False
    start_session(user.id, user.session_epoch)
    g.pop("console_viewer", None)
    return viewer() is not None


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Every state-changing console request carries the session's token (form field
    ``csrf_token`` or header ``X-CSRF-Token``); anything else is refused with 400."""
    if request.method in SAFE_METHODS:
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="the form has expired or did not come from this site; "
                               "reload the page and try again")
