"""People who may sign in: administrators invite them and reset their access.

An invitation is a link with a one-time secret, shown once to the inviting administrator
to pass on (fundpool sends no e-mail); the invited person sets a password there.
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for

from fundpool.api.requests import db_session
from fundpool.auth.models import ROLES
from fundpool.auth.users import get_user, invite_user, list_users, reset_access
from fundpool.console.blueprint import bp
from fundpool.console.forms import write
from fundpool.console.signin import signed_in, viewer


@bp.route("/users", methods=["GET", "POST"])
@signed_in
def users():
    who = _admin()
    link = error = None
    form = request.form
    if request.method == "POST":
        made, error = write(lambda session: invite_user(
            session, who.actor, who, login=form.get("login", ""), display_name=form.get("display_name", ""),
            role=form.get("role", ""), pool_code=form.get("pool_code") or None))
        if made:
            link = _link(made[1])
    people = list_users(db_session(), who)
    return render_template("console/users.html", people=people, roles=ROLES, link=link,
                           error=error, form=form if error else {}), 422 if error else 200


@bp.route("/users/<int:user_id>/reset", methods=["POST"])
@signed_in
def reset_user(user_id: int):
    who = _admin()
    secret, error = write(lambda session: reset_access(session, who.actor, who,
                                                       get_user(session, user_id)))
    if error is not None:
        raise error
    people = list_users(db_session(), who)
    return render_template("console/users.html", people=people, roles=ROLES,
                           link=_link(secret), error=None, form={},
                           reset_login=get_user(db_session(), user_id).login)


def _admin():
    who = viewer()
    if who.role != "admin":
        abort(403, description="only administrators manage people's access")
    return who


def _link(secret: str) -> str:
    return url_for("console.invite", secret=secret, _external=True)
