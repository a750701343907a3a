"""The reserve pool of proposals (公益项目储备库): the list with filters, one proposal with its
lifecycle, and an administrator's review (into the reserve, or rejected with a reason)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from fundpool.api.requests import db_session
from fundpool.auth.principal import require_admin_of
from fundpool.console.blueprint import bp
from fundpool.console.forms import write
from fundpool.console.signin import signed_in, viewer
from fundpool.console.views.matching import (
    PAGE_SIZE,
    category_choice,
    choice,
    next_page,
    reader,
    status_of,
    whole,
    within,
)
from fundpool.errors import InvalidInput
from fundpool.funds.models import CATEGORIES
from fundpool.matching import proposals as reserve
from fundpool.matching.models import PROPOSAL_STATUSES
from fundpool.matching.overview import proposal_history, proposal_matches


@bp.route("/proposals")
@signed_in
def proposals():
    who = reader()
    page = reserve.list_proposals(db_session(), within=within(who, "area"),
                                  status=choice("status", PROPOSAL_STATUSES),
                                  category=category_choice(), after=whole("after"),
                                  limit=PAGE_SIZE)
    return render_template("console/matching_proposals.html", page=page, args=request.args,
                           categories=CATEGORIES, statuses=PROPOSAL_STATUSES,
                           next_url=next_page("after", page.next_after))


@bp.route("/proposals/<int:proposal_id>")
@signed_in
def proposal(proposal_id: int):
    return _proposal_page(proposal_id)


@bp.route("/proposals/<int:proposal_id>/review", methods=["POST"])
@signed_in
def review_proposal(proposal_id: int):
    """The API's review: an admin whose subtree holds the proposal's reserve pool."""
    who = viewer()
    require_admin_of(who, reserve.get_proposal(db_session(), proposal_id).pool.code,
                     "proposal_id")
    _, error = write(lambda session: reserve.review(
        session, who.actor, reserve.get_proposal(session, proposal_id, lock=True),
        _accepts(request.form.get("decision")), request.form.get("reason") or None))
    if error is None:
        return redirect(url_for("console.proposal", proposal_id=proposal_id))
    return _proposal_page(proposal_id, error, status_of(error))


def _accepts(decision: str | None) -> bool:
    if decision not in ("accept", "reject"):
        raise InvalidInput("choose to put the proposal in reserve or to reject it", "decision")
    return decision == "accept"


def _proposal_page(proposal_id: int, error=None, status: int = 200):
    who = reader()
    session = db_session()
    found = reserve.get_proposal(session, proposal_id)
    if who.role == "admin":
        require_admin_of(who, found.pool.code, "proposal_id")
    reviewable = found.status == "submitted" and who.role == "admin"
    return render_template("console/matching_proposal.html", proposal=found,
                           history=proposal_history(session, proposal_id),
                           matches=proposal_matches(session, proposal_id),
                           reviewable=reviewable, error=error,
                           form=request.form if error else {}), status
