"""Matching endpoints: run the engine now, read runs, decide on matches, pay grants."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from fundpool.api.grants.schemas import (DisbursementInSchema, DisbursementSchema, MatchSchema,
                                         ReasonInSchema, RunInSchema, RunMatchesQuerySchema,
                                         RunSchema)
from fundpool.api.ledger.scope import requested_range
from fundpool.api.pagination import QUERY, PageArgsSchema, decode_cursor, page_body, page_schema
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.writes import unit_of_work
from fundpool.auth.principal import require_role
from fundpool.errors import InvalidInput
from fundpool.ledger.money import parse_amount
from fundpool.ledger.posting import today
from fundpool.matching import approval, runs
from fundpool.matching.overview import run_matches
from fundpool.matching.run_models import MatchingRun, RunMatch
from fundpool.paging import keyset_page

blp = Blueprint("matching", __name__, url_prefix="/api/v1/matching",
                description="Matching runs, their proposed matches, approval and grants. Reasons "
                            "are rendered in Chinese or English (?lang=zh-CN|en or "
                            "Accept-Language).")


def _readable() -> None:
    require_role(principal(), "admin", "auditor")


def _decidable(match: RunMatch) -> None:
    """An approver's subtree holds the proposal and every paying fund."""
    approval.require_decider(principal(), match)


@blp.route("/runs")
class Runs(MethodView):
    @blp.arguments(PageArgsSchema, **QUERY)
    @blp.response(200, page_schema(RunSchema, "RunPageSchema"))
    @documents_errors(blp, 403)
    def get(self, args):
        """List matching runs, oldest first (admins and auditors)."""
        _readable()
        return page_body(keyset_page(db_session(), select(MatchingRun), MatchingRun.id,
                                     decode_cursor(args["cursor"], int), args["limit"]))

    @unit_of_work(blp)
    @blp.arguments(RunInSchema)
    @blp.response(201, RunSchema)
    @documents_errors(blp, 403)
    def post(self, body):
        """Run the matching engine now over the open needs, the proposals in reserve and the
        funds' available money; the run's record and figures (its proposed matches:
        ``/runs/{id}/matches``, a page at a time). Moves no money. A run is city-wide and
        supersedes every undecided match, so only an admin of the city pool may ask for one
        (others: 403)."""
        runs.require_runner(principal())
        on = body["on"] or today()
        if on < today():
            raise InvalidInput(f"on {on} is in the past; grants are made today or later", "on")
        return runs.run_now(db_session(), principal().actor, on)


@blp.route("/runs/<int:run_id>")
class Run(MethodView):
    @blp.response(200, RunSchema)
    @documents_errors(blp, 403, 404)
    def get(self, run_id):
        """A run's record and figures; its matches are at ``/runs/{id}/matches``."""
        _readable()
        return runs.get_run(db_session(), run_id)


@blp.route("/runs/<int:run_id>/matches")
class RunMatches(MethodView):
    @blp.arguments(RunMatchesQuerySchema, **QUERY)
    @blp.response(200, page_schema(MatchSchema, "RunMatchPageSchema"))
    @documents_errors(blp, 403, 404)
    def get(self, args, run_id):
        """A run's matches a page at a time, in the order the run made them: an admin's
        subtree (or ``within`` it), everything for an auditor. A city's run may propose
        thousands; ``GET /runs/{run_id}`` returns them all at once."""
        _readable()
        session = db_session()
        runs.get_run(session, run_id)
        scope = requested_range(session, principal(), args.get("within"))
        return page_body(run_matches(session, run_id, within=scope,
                                     after=decode_cursor(args["cursor"], int),
                                     limit=args["limit"]))


@blp.route("/matches/<int:match_id>")
class Match(MethodView):
    @blp.response(200, MatchSchema)
    @documents_errors(blp, 403, 404)
    def get(self, match_id):
        """One match: its needs, each fund's share, the reasons, and what was paid. Admins
        read the matches whose proposal's reserve pool lies in their subtree (as
        ``/runs/{id}/matches`` lists them), auditors all."""
        _readable()
        match = approval.get_match(db_session(), match_id)
        approval.require_reader(principal(), match)
        return match


def _decided(match_id: int) -> RunMatch:
    """The match, once the caller is shown to be one who may decide on it."""
    match = approval.get_match(db_session(), match_id)
    _decidable(match)
    return match


@blp.route("/matches/<int:match_id>/approve")
class Approve(MethodView):
    @unit_of_work(blp)
    @blp.response(200, MatchSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, match_id):
        """Approve a proposed match: each fund's share is held, the proposal is funded and
        its needs matched. Refused (409) if the match is stale or already decided."""
        _decided(match_id)
        return approval.approve(db_session(), principal().actor, match_id)


@blp.route("/matches/<int:match_id>/reject")
class Reject(MethodView):
    @unit_of_work(blp)
    @blp.arguments(ReasonInSchema)
    @blp.response(200, MatchSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, match_id):
        """Reject a proposed match, with a reason. Nothing was held."""
        _decided(match_id)
        return approval.reject(db_session(), principal().actor, match_id, body["reason"])


@blp.route("/matches/<int:match_id>/complete")
class Complete(MethodView):
    @unit_of_work(blp)
    @blp.response(200, MatchSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, match_id):
        """The project is done: what was not paid out is released; its needs are served.
        Refused (409) while nothing is paid: pay an instalment first, or cancel the grant."""
        _decided(match_id)
        return approval.complete(db_session(), principal().actor, match_id)


@blp.route("/matches/<int:match_id>/cancel")
class Cancel(MethodView):
    @unit_of_work(blp)
    @blp.arguments(ReasonInSchema)
    @blp.response(200, MatchSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, match_id):
        """The project will not go on: what is held is released, the proposal expires and
        its needs return to the register."""
        _decided(match_id)
        return approval.cancel(db_session(), principal().actor, match_id, body["reason"])


@blp.route("/matches/<int:match_id>/disbursements")
class Disbursements(MethodView):
    @unit_of_work(blp)
    @blp.arguments(DisbursementInSchema)
    @blp.response(201, DisbursementSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, match_id):
        """Pay an instalment of an approved grant, shared across its funds in proportion to
        what each still holds: Dr 5101 / Cr 2209 (restrictions released), then the held
        money out of the bank, Dr 2209 / Cr 1002. ``effective_date`` (default today) must be no
        earlier than the approval and lie within the validity of every restricted fund
        paying (else 422)."""
        session = db_session()
        _decided(match_id)
        paid = approval.disburse(session, principal().actor, match_id,
                                 parse_amount(body["amount"], "CNY", "amount"),
                                 body["effective_date"], body["memo"])
        return {"match": approval.get_match(session, match_id), "grant_entry_id": paid.grant.id,
                "payment_entry_id": paid.payment.id}
