"""Console users: invite, accept an invite, sign in, reset access, list.

Guarantees: passwords are stored only as Argon2id hashes; an invite secret is stored only
as its SHA-256 and works once, for ``INVITE_DAYS``; five wrong passwords in a row lock
an account for ``LOCK_MINUTES`` — separately for browsers that signed in as the person with
the current password (the console's device cookie, ``device_tag_of``) and for all others, so
a stranger who knows a sign-in name can lock only strangers out (sign-in says the same thing,
after the same work, for an
unknown login, a wrong password and a locked or revoked account, so it reveals neither who
has an account nor whether a guess was right); signing out and resetting access end every
session of the person. Who may invite whom follows the token rules exactly; resetting
someone's access is for administrators above them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.auth import passwords
from fundpool.auth.issue_rate import check_issue_rate
from fundpool.auth.models import ApiToken
from fundpool.auth.principal import Principal, require_role, require_token_issuer
from fundpool.auth.sign_in_limit import give_back, note_failure, take_attempt
from fundpool.auth.tokens import create_token, hash_secret
from fundpool.auth.user_models import User
from fundpool.db import utcnow
from fundpool.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from fundpool.pools.codes import subtree_bounds
from fundpool.pools.models import Pool

INVITE_DAYS = 7
MAX_FAILURES = 5
LOCK_MINUTES = 15
LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")  # fullmatch: "$" passes "x\n"
WRONG = ("the sign-in name or password is wrong (after 5 wrong passwords an account waits "
         "15 minutes)")


def invite_user(session: Session, actor: Actor, inviter: Principal | None, *, login: str,
                display_name: str, role: str, pool_code: str | None) -> tuple[User, str]:
    """Create a user and return it with the one-time invite secret for its link.
    ``inviter`` is the signed-in person, checked by the token rules; None for the operator
    at the command line, who may invite anyone (the first administrator, say)."""
    login = normalise_login(login)
    if inviter is not None:
        require_token_issuer(inviter, role, pool_code)
        check_issue_rate(session, inviter)
    if not display_name.strip():
        raise InvalidInput("give the person's name", "display_name")
    if len(display_name.strip()) > 100:
        raise InvalidInput("the name may have at most 100 characters", "display_name")
    if session.scalar(select(User.id).where(User.login == login)) is not None:
        raise Conflict(f"the sign-in name {login!r} is taken", "login")
    identity, _secret = create_token(session, actor, name=f"user {login}", role=role,
                                     pool_code=pool_code)
    user = User(login=login, display_name=display_name.strip(), identity=identity,
                created_by=actor.name)
    secret = _new_invite(user)
    session.add(user)
    session.flush()
    record(session, actor, "user.invite", "user", user.id, login=login, role=role,
           pool_code=pool_code)
    return user, secret


def accept_invite(session: Session, secret: str, password: str) -> User:
    """Set the password of the user the invite belongs to; the invite is then spent (of two
    concurrent accepts, the second finds it spent)."""
    user = session.scalar(select(User).where(User.invite_hash == hash_secret(secret))
                          .with_for_update(of=User))
    if user is None or user.invite_expires_at is None or user.invite_expires_at < utcnow():
        raise InvalidInput("this invitation link is not valid (used, replaced or expired); "
                           "ask your administrator for a new one", "invite")
    if not user.is_active:
        raise Unauthenticated("this account has been revoked")
    passwords.check_strength(password, user.login)
    user.password_hash = passwords.hash_password(password)
    user.invite_hash = user.invite_expires_at = None
    user.failed_sign_ins = user.device_failed_sign_ins = 0
    user.locked_until = user.device_locked_until = None
    record(session, actor_of(user), "user.accept_invite", "user", user.id)
    return user


def sign_in(session: Session, login: str, password: str, address: str | None = None, *,
            device_tag: str | None = None) -> User:
    """The user whose password this is, or :class:`Unauthenticated` with the same words and
    the same work (one Argon2 verification) whatever went wrong: an unknown name, a wrong
    password, a locked or revoked account. Commit either way: failures count towards the
    lock and towards the limit of the client's network ``address`` (``sign_in_limit``),
    and are audited. An address over its limit is refused before any password work, unless
    the browser shows the ``device_tag`` it was given when it last signed in with this name
    and the current password (``device_tag_of``), so that a stranger cannot keep everyone
    behind a shared address out."""
    now = utcnow()
    user = session.scalar(select(User).where(User.login == login.strip().lower())
                          .with_for_update(of=User))
    known_device = user is not None and _shows_tag(user, device_tag)
    if not known_device:
        take_attempt(session, address, now)
    locked = user is not None and _locked(user, known_device, now)
    usable = user is not None and user.password_hash is not None and user.is_active and not locked
    if not usable:
        passwords.verify_password(_dummy_hash(), password)
        if known_device:
            note_failure(session, address, now)
        if user is not None:
            record(session, actor_of(user), "user.sign_in_refused", "user", user.id,
                   reason="locked" if locked else "revoked" if not user.is_active
                   else "no password", browser=_browser(known_device))
        raise Unauthenticated(WRONG, "login")
    if not passwords.verify_password(user.password_hash, password):
        if known_device:
            note_failure(session, address, now)
        _count_failure(session, user, known_device, now)
        raise Unauthenticated(WRONG, "password")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    count, lock = _lock_of(known_device)
    setattr(user, count, 0)
    setattr(user, lock, None)
    if not known_device:
        give_back(session, address)
    record(session, actor_of(user), "user.sign_in", "user", user.id)
    return user


def device_tag_of(user: User) -> str:
    """What a browser that signed in as ``user`` keeps to be known next time: a digest of the
    current password's hash, so that resetting access or a new password makes every earlier
    browser a stranger again."""
    return hashlib.sha256(f"device:{user.password_hash}".encode()).hexdigest()[:32]


def _shows_tag(user: User, tag: str | None) -> bool:
    return (tag is not None and user.password_hash is not None
            and hmac.compare_digest(tag.encode(), device_tag_of(user).encode()))


def _browser(known_device: bool) -> str:
    return "known" if known_device else "unknown"


def _lock_of(known_device: bool) -> tuple[str, str]:
    """The user's columns (failures in a row, locked until) for this kind of browser: each
    kind has its own, so that a stranger's wrong guesses lock strangers out, never the
    person's own browser."""
    if known_device:
        return "device_failed_sign_ins", "device_locked_until"
    return "failed_sign_ins", "locked_until"


def _locked(user: User, known_device: bool, now) -> bool:
    until = getattr(user, _lock_of(known_device)[1])
    return until is not None and until > now


def _count_failure(session: Session, user: User, known_device: bool, now) -> None:
    count, lock = _lock_of(known_device)
    failures = getattr(user, count) + 1
    if failures < MAX_FAILURES:
        setattr(user, count, failures)
        return
    setattr(user, count, 0)
    setattr(user, lock, now + timedelta(minutes=LOCK_MINUTES))
    record(session, actor_of(user), "user.locked", "user", user.id, minutes=LOCK_MINUTES,
           browser=_browser(known_device))


def sign_out(session: Session, user_id: int) -> None:
    """End every session of the user: a copied cookie is worthless afterwards."""
    user = session.get(User, user_id, with_for_update={"of": User})
    if user is not None:
        user.session_epoch += 1
        record(session, actor_of(user), "user.sign_out", "user", user.id)


def reset_access(session: Session, actor: Actor, resetter: Principal | None, user: User) -> str:
    """End the user's sessions, clear the password and return a new invite secret.
    ``resetter`` may reset only people strictly below its own pool (a city administrator
    also foundations and auditors): the new link goes to the resetter, so a peer must not
    be able to take over a peer's account. None is the operator at the command line."""
    if resetter is not None:
        require_resetter(resetter, user)
    if not user.is_active:
        raise Conflict(f"user {user.login} has been revoked", "user_id")
    user.password_hash = None
    user.session_epoch += 1
    user.locked_until = user.device_locked_until = None
    user.failed_sign_ins = user.device_failed_sign_ins = 0
    secret = _new_invite(user)
    record(session, actor, "user.reset_access", "user", user.id, login=user.login)
    return secret


def require_resetter(resetter: Principal, user: User) -> None:
    """Administrators reset administrators strictly below them; auditors and foundations
    only a city administrator, as only it issues their tokens, also one that was given a
    pool (the token rules allow it): a district administrator who could would receive the
    new link and become an auditor."""
    require_role(resetter, "admin")
    pool_code = user.pool_code
    if pool_code is None or user.role != "admin":
        allowed = resetter.is_root_admin
    else:
        allowed = resetter.covers(pool_code) and pool_code != resetter.pool_code
    if not allowed:
        raise Forbidden("you can reset the access only of people in pools below your own; "
                        "ask an administrator above you", "user_id")


def principal_of(session: Session, user_id: int, epoch: int) -> Principal | None:
    """The principal of a signed-in session, or None if the session no longer holds."""
    user = session.get(User, user_id)
    if user is None or user.session_epoch != epoch or user.password_hash is None:
        return None
    identity = user.identity
    if not identity.is_active:
        return None
    pool = identity.pool
    return Principal(identity.id, user.login, identity.role,
                     pool.code if pool else None, pool.level_enum if pool else None,
                     user_id=user.id, display_name=user.display_name)


def actor_of(user: User) -> Actor:
    return Actor(f"user:{user.id}:{user.login}", user.identity_id)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"there is no user with id {user_id}", "user_id")
    return user


def find_user(session: Session, login: str) -> User | None:
    return session.scalar(select(User).where(User.login == login.strip().lower()))


def list_users(session: Session, viewer: Principal) -> list[User]:
    """Users the viewer may manage: all for a city admin, else its subtree's admins."""
    stmt = select(User).join(User.identity).order_by(User.login)
    if not viewer.is_root_admin:
        low, high = subtree_bounds(viewer.pool_code, viewer.pool_level)
        stmt = stmt.join(ApiToken.pool).where(Pool.code.between(low, high),
                                              ApiToken.role == "admin")
    return list(session.scalars(stmt))


def normalise_login(login: str) -> str:
    login = login.strip().lower()
    if not LOGIN.fullmatch(login):
        raise InvalidInput("the sign-in name takes 2-64 letters, digits, '.', '_' or '-'",
                           "login")
    return login


def _new_invite(user: User) -> str:
    secret = secrets.token_urlsafe(32)
    user.invite_hash = hash_secret(secret)
    user.invite_expires_at = utcnow() + timedelta(days=INVITE_DAYS)
    return secret


@cache
def _dummy_hash() -> str:
    """Verified against when the login is unknown, so both failures take as long."""
    return passwords.hash_password(secrets.token_urlsafe(16))
