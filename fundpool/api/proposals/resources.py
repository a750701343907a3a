"""Proposal endpoints: enter a draft, change it, submit it, review it, withdraw it, list and
read the reserve pool.

A proposal is managed by the admins whose subtree holds its reserve pool (the lowest
pool holding every area it serves); auditors read all; foundations and the public none.
The moves after review (matched, funded, completed, expired) belong to matching and its
approval, not to these endpoints.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.ledger.scope import requested_range
from fundpool.api.pagination import QUERY, decode_cursor, page_body
from fundpool.api.proposals.schemas import (ProposalInSchema, ProposalPageSchema,
                                            ProposalQuerySchema, ProposalSchema, ReviewSchema,
                                            SubmitSchema, WithdrawSchema)
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.writes import unit_of_work
from fundpool.auth.principal import require_admin_of, require_role
from fundpool.ledger.money import parse_amount
from fundpool.matching import proposals
from fundpool.matching.models import Proposal

blp = Blueprint("proposals", __name__, url_prefix="/api/v1/proposals",
                description="The reserve pool of project proposals (公益项目储备库)")


def new_proposal(body: dict) -> proposals.NewProposal:
    """The request's proposal, every area checked against the caller's subtree."""
    viewer = principal()
    require_role(viewer, "admin")
    for code in body["area_codes"]:
        require_admin_of(viewer, code, "area_codes")
    return proposals.NewProposal(
        organisation=body["organisation"], title=body["title"], summary=body["summary"],
        categories=tuple(body["categories"]), area_codes=tuple(body["area_codes"]),
        budget=parse_amount(body["budget"], "CNY", "budget"), capacity=body["capacity"],
        duration_days=body["duration_days"], start_date=body["start_date"],
        end_date=body["end_date"])


def managed(proposal_id: int) -> Proposal:
    """The proposal, locked, for an admin whose subtree holds its reserve pool."""
    viewer = principal()
    require_role(viewer, "admin")
    proposal = proposals.get_proposal(db_session(), proposal_id, lock=True)
    require_admin_of(viewer, proposal.pool.code, "proposal_id")
    return proposal


@blp.route("")
class Proposals(MethodView):
    @blp.arguments(ProposalQuerySchema, **QUERY)
    @blp.response(200, ProposalPageSchema)
    @documents_errors(blp, 403, 404)
    def get(self, args):
        """List proposals: admins those in their subtree's reserves, auditors all; filter by
        reserve pool subtree (within), status and category."""
        session = db_session()
        scope = requested_range(session, principal(), args.get("within"))
        return page_body(proposals.list_proposals(
            session, within=scope, status=args.get("status"), category=args.get("category"),
            after=decode_cursor(args["cursor"], int), limit=args["limit"]))

    @unit_of_work(blp)
    @blp.arguments(ProposalInSchema)
    @blp.response(201, ProposalSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body):
        """Enter a proposal as a draft; every area it serves must lie in your subtree."""
        new = new_proposal(body)
        return proposals.create_proposal(db_session(), principal().actor, new)


@blp.route("/<int:proposal_id>")
class ProposalById(MethodView):
    @blp.response(200, ProposalSchema)
    @documents_errors(blp, 403, 404)
    def get(self, proposal_id):
        """Read a proposal with its status and review."""
        viewer = principal()
        require_role(viewer, "admin", "auditor")
        proposal = proposals.get_proposal(db_session(), proposal_id)
        if viewer.role == "admin":
            require_admin_of(viewer, proposal.pool.code, "proposal_id")
        return proposal

    @unit_of_work(blp)
    @blp.arguments(ProposalInSchema)
    @blp.response(200, ProposalSchema)
    @documents_errors(blp, 403, 404, 409)
    def put(self, body, proposal_id):
        """Replace a draft's values (every field, as when it was entered); a proposal that
        has been submitted is no longer changed (409)."""
        proposal = managed(proposal_id)
        return proposals.update_proposal(db_session(), principal().actor, proposal,
                                         new_proposal(body))


@blp.route("/<int:proposal_id>/submit")
class SubmitProposal(MethodView):
    @unit_of_work(blp)
    @blp.arguments(SubmitSchema)
    @blp.response(200, ProposalSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, proposal_id):
        """Submit a draft for review."""
        return proposals.submit(db_session(), principal().actor, managed(proposal_id),
                                body["submitted_on"])


@blp.route("/<int:proposal_id>/review")
class ReviewProposal(MethodView):
    @unit_of_work(blp)
    @blp.arguments(ReviewSchema)
    @blp.response(200, ProposalSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, proposal_id):
        """Review a submitted proposal: accept it into the reserve, or reject it with a
        reason. Who and when are recorded on it."""
        return proposals.review(db_session(), principal().actor, managed(proposal_id),
                                body["decision"] == "accept", body["reason"])


@blp.route("/<int:proposal_id>/withdraw")
class WithdrawProposal(MethodView):
    @unit_of_work(blp)
    @blp.arguments(WithdrawSchema)
    @blp.response(200, ProposalSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, proposal_id):
        """Withdraw a proposal that is a draft, submitted or in reserve."""
        return proposals.withdraw(db_session(), principal().actor, managed(proposal_id),
                                  body["reason"])
