"""Who is signed in to the console, and the CSRF check on every form.

The session cookie (signed with the app's secret key, HttpOnly, SameSite=Lax, Secure)
holds only the user id, the user's session epoch, when they signed in, a CSRF token and
the language. Each request re-reads the user, so signing out, resetting someone's access
or revoking their identity ends their sessions at once, on every device.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from functools import wraps

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from fundpool.api.requests import db_session, end_read
from fundpool.auth.principal import Principal
from fundpool.auth.users import find_user, principal_of, sign_out

SESSION_HOURS = 12
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def init_signin(app: Flask) -> None:
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=True,
                      SESSION_COOKIE_NAME="fundpool_session",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS))


def start_session(user_id: int, epoch: int) -> None:
    language = session.get("lang")
    session.clear()
    session.permanent = True
    session.update(user=user_id, epoch=epoch, since=int(time.time()),
                   csrf=secrets.token_urlsafe(32))
    if language:
        session["lang"] = language


def end_session() -> None:
    """Sign out: every session of the person ends on the server too (their session epoch
    moves on), so a copied cookie no longer works."""
    user_id = session.get("user")
    if user_id is not None and viewer() is not None:
        sign_out(db_session(), user_id)
        db_session().commit()
    language = session.get("lang")
    session.clear()
    session["signed_out"] = True
    if language:
        session["lang"] = language


def viewer() -> Principal | None:
    """The signed-in person's principal, read once per request; None once the session is
    older than ``SESSION_HOURS`` however busy it was."""
    if "console_viewer" not in g:
        user_id, epoch = session.get("user"), session.get("epoch")
        fresh = time.time() - session.get("since", 0) < SESSION_HOURS * 3600
        found = (principal_of(db_session(), user_id, epoch)
                 if user_id is not None and fresh else None)
        end_read(db_session())
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
    """On the demo (setting ``demo_sign_in``), a visitor whose browser has never been signed
    in opens signed in as the demo's user; after any sign-in or sign-out, never again."""
    login = current_app.config["FUNDPOOL"].get("demo_sign_in")
    if not login or "user" in session or session.get("signed_out"):
        return False
    user = find_user(db_session(), login)
    end_read(db_session())
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
