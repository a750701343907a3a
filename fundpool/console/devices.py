"""Browsers a person has signed in from before: the device cookie.

The per-address sign-in limit (``fundpool.auth.sign_in_limit``) refuses an address that
has failed too often, before any password check. Without an exception, a stranger could
keep everyone behind one address — an office network, a carrier's NAT, a reverse proxy
that was not declared — out of the console. So a successful sign-in leaves a signed cookie
naming the sign-in name and a digest of the current password's hash (so resetting access or
a new password makes it worthless); a browser that shows it for the name it signs in with is
not held to the address limit, and has its own account lock, which a stranger's wrong guesses
never touch (``fundpool.auth.users.sign_in``). A guesser has no such cookie.
"""

from __future__ import annotations

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "fundpool_device"
DAYS = 180


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="fundpool.device")


def device_tag(login: str) -> str | None:
    """The tag this browser was given when it last signed in as ``login`` within ``DAYS`` days
    (``fundpool.auth.users.device_tag_of``), or None; the sign-in checks it against the
    current password's."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        remembered = _signer().loads(cookie, max_age=DAYS * 86400)
    except BadSignature:
        return None
    if not isinstance(remembered, list) or len(remembered) != 2:
        return None
    name, tag = remembered
    return tag if name == login.strip().lower() and isinstance(tag, str) else None


def remember_device(response: Response, login: str, tag: str) -> Response:
    response.set_cookie(COOKIE, _signer().dumps([login, tag]), max_age=DAYS * 86400,
                        secure=True, httponly=True, samesite="Lax")
    return response
