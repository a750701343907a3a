"""Disbursements: the approved grants (funded proposals), what each paying fund still holds for
one and has paid, and an administrator's instalment, completion or cancellation — the API's
core calls."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from fundpool.api.requests import db_session
from fundpool.console.blueprint import bp
from fundpool.console.forms import write
from fundpool.console.signin import signed_in
from fundpool.console.views.matching import (
    PAGE_SIZE,
    choice,
    decider,
    next_page,
    reader,
    status_of,
    whole,
    within,
)
from fundpool.errors import InvalidInput
from fundpool.ledger.money import parse_amount
from fundpool.matching import approval
from fundpool.matching.overview import GRANT_STATUSES, fund_money, list_grants
from fundpool.reports.periods import parse_day

MEMO_MAX = 500


@bp.route("/grants")
@signed_in
def grants():
    who = reader()
    page = list_grants(db_session(), within=within(who), status=choice("status", GRANT_STATUSES),
                       after=whole("after"), limit=PAGE_SIZE)
    return render_template("console/matching_grants.html", page=page, args=request.args,
                           statuses=GRANT_STATUSES, next_url=next_page("after", page.next_after))


@bp.route("/grants/<int:match_id>")
@signed_in
def grant(match_id: int):
    return _grant_page(match_id)


@bp.route("/grants/<int:match_id>/pay", methods=["POST"])
@signed_in
def pay_grant(match_id: int):
    """An instalment, shared across the funds in proportion to what each still holds."""
    who = decider(match_id)
    form = request.form
    _, error = write(lambda session: approval.disburse(
        session, who.actor, match_id, parse_amount(form.get("amount", ""), "CNY", "amount"),
        parse_day(form.get("effective_date", "").strip(), "effective_date"),
        _limited(form.get("memo", ""), "memo")))
    return _after(match_id, error)


@bp.route("/grants/<int:match_id>/complete", methods=["POST"])
@signed_in
def complete_grant(match_id: int):
    """The project is done: what was not paid is released and its needs are served."""
    who = decider(match_id)
    _, error = write(lambda session: approval.complete(session, who.actor, match_id))
    return _after(match_id, error)


@bp.route("/grants/<int:match_id>/cancel", methods=["POST"])
@signed_in
def cancel_grant(match_id: int):
    """The project will not go on: what is held is released, its needs return to the register."""
    who = decider(match_id)
    _, error = write(lambda session: approval.cancel(
        session, who.actor, match_id, _limited(request.form.get("reason", ""), "reason")))
    return _after(match_id, error)


def _limited(text: str, field: str) -> str:
    """The API's limit on an instalment's memo and a cancellation's reason."""
    if len(text) > MEMO_MAX:
        raise InvalidInput("{name} is longer than {limit} characters", field, name=field,
                           limit=MEMO_MAX)
    return text


def _after(match_id: int, error):
    if error is None:
        return redirect(url_for("console.grant", match_id=match_id))
    return _grant_page(match_id, error, status_of(error))


def _grant_page(match_id: int, error=None, status: int = 200):
    who = reader()
    session = db_session()
    match = approval.get_match(session, match_id)
    approval.require_reader(who, match)  # the API's rule: the proposal's pool in the subtree
    return render_template("console/matching_grant.html", match=match,
                           money=fund_money(session, match),
                           decides=approval.may_decide(who, match), error=error,
                           form=request.form if error else {}), status
