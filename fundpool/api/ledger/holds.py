"""Hold endpoints: reserve money, then commit (all or part) or void it, exactly once."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.ledger.schemas import CommitSchema, EntrySchema, HoldInSchema, HoldSchema
from fundpool.api.ledger.scope import require_readable, require_writable
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.writes import unit_of_work
from fundpool.ledger import holds
from fundpool.ledger.accounts import get_account
from fundpool.ledger.money import parse_amount
from fundpool.ledger.posting import today

blp = Blueprint("holds", __name__, url_prefix="/api/v1/holds",
                description="Two-phase holds: money reserved for a purpose, then paid or released")


@blp.route("")
class Holds(MethodView):
    @unit_of_work(blp)
    @blp.arguments(HoldInSchema)
    @blp.response(201, HoldSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body):
        """Reserve money on one or more accounts; the legs commit or void as one unit."""
        session = db_session()
        holds.check_manual(body["kind"])
        legs = []
        for index, item in enumerate(body["legs"]):
            account = get_account(session, item["account"], f"legs.{index}.account")
            counter = get_account(session, item["counter_account"],
                                  f"legs.{index}.counter_account")
            require_writable(principal(), [(f"legs.{index}.account", account),
                                           (f"legs.{index}.counter_account", counter)])
            legs.append(holds.NewLeg(account.code, counter.code, parse_amount(
                item["amount"], account.currency, f"legs.{index}.amount")))
        return holds.create_hold(session, principal().actor, legs, kind=body["kind"],
                                 memo=body["memo"], expires_at=body["expires_at"])


@blp.route("/<int:hold_id>")
class HoldById(MethodView):
    @blp.response(200, HoldSchema)
    @documents_errors(blp, 403, 404)
    def get(self, hold_id):
        """Read a hold and its legs."""
        hold = holds.get_hold(db_session(), hold_id)
        require_readable(principal(), [leg.account for leg in hold.legs])
        return hold


@blp.route("/<int:hold_id>/commit")
class CommitHold(MethodView):
    @unit_of_work(blp)
    @blp.arguments(CommitSchema)
    @blp.response(201, EntrySchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, hold_id):
        """Post the held money (or `amounts`, one per leg, each from 0 to what it holds: a
        leg committed as 0 is released); the rest is released. Refused once the hold has
        expired."""
        session = db_session()
        hold = _writable(session, hold_id)
        amounts = None
        if body["amounts"] is not None:
            amounts = [parse_amount(text, leg.account.currency, f"amounts.{index}", zero_ok=True)
                       for index, (leg, text) in enumerate(zip(hold.legs, body["amounts"]))]
            amounts += [0] * (len(body["amounts"]) - len(amounts))
        return holds.commit_hold(session, principal().actor, hold_id,
                                 body["effective_date"] or today(), amounts, body["memo"])


@blp.route("/<int:hold_id>/void")
class VoidHold(MethodView):
    @unit_of_work(blp)
    @blp.response(200, HoldSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, hold_id):
        """Release all the held money."""
        session = db_session()
        _writable(session, hold_id)
        return holds.void_hold(session, principal().actor, hold_id)


def _writable(session, hold_id: int):
    hold = holds.get_hold(session, hold_id)
    require_writable(principal(), [(f"legs.{i}.account", leg.account)
                                   for i, leg in enumerate(hold.legs)])
    holds.check_manual(hold.kind, hold.id)
    return hold
