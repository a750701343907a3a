"""Entry endpoints: manual adjustments, listing, reading, reversing."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.ledger.money import parse_amount
from fundpool.api.ledger.schemas import (EntryInSchema, EntryPageSchema, EntryQuerySchema,
                                         EntrySchema, ReverseSchema)
from fundpool.api.ledger.scope import require_readable, require_writable, requested_range
from fundpool.api.pagination import QUERY, decode_cursor, page_body
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.writes import unit_of_work
from fundpool.ledger.accounts import get_account
from fundpool.ledger.posting import post_entry, today
from fundpool.ledger.queries import list_entries
from fundpool.ledger.reversal import get_entry, reverse_manual_entry
from fundpool.ledger.values import Line, NewEntry, Side

blp = Blueprint("entries", __name__, url_prefix="/api/v1/entries",
                description="Balanced journal entries: append-only, corrected by reversal")


@blp.route("")
class Entries(MethodView):
    @blp.arguments(EntryQuerySchema, **QUERY)
    @blp.response(200, EntryPageSchema)
    @documents_errors(blp, 403, 404)
    def get(self, args):
        """List entries, oldest first; filter by account, pool subtree, kind, date range."""
        session = db_session()
        account_id = None
        if "account" in args:
            account = get_account(session, args["account"], "account")
            require_readable(principal(), [account])
            account_id = account.id
        return page_body(list_entries(
            session, within=requested_range(session, principal(), args.get("within")),
            account_id=account_id, kind=args.get("kind"), date_from=args.get("date_from"),
            date_to=args.get("date_to"), after=decode_cursor(args["cursor"], int),
            limit=args["limit"]))

    @unit_of_work(blp)
    @blp.arguments(EntryInSchema)
    @blp.response(201, EntrySchema)
    @documents_errors(blp, 403, 404, 409, 413)
    def post(self, body):
        """Post a manual adjustment (admins, on accounts in their subtree).

        Postings must balance per currency. Donations, allocations and grants have
        their own endpoints; this is for corrections an accountant makes by hand.
        """
        session = db_session()
        lines = []
        for index, item in enumerate(body["postings"]):
            field = f"postings.{index}"
            account = get_account(session, item["account"], f"{field}.account")
            require_writable(principal(), [(f"{field}.account", account)])
            lines.append(Line(account.code, Side(item["side"]),
                              parse_amount(item["amount"], account.currency, f"{field}.amount")))
        new = NewEntry(kind="adjustment", effective_date=body["effective_date"] or today(),
                       lines=tuple(lines), memo=body["memo"], external_ref=body["external_ref"],
                       metadata=body["metadata"])
        return post_entry(session, principal().actor, new)


@blp.route("/<int:entry_id>")
class EntryById(MethodView):
    @blp.response(200, EntrySchema)
    @documents_errors(blp, 403, 404)
    def get(self, entry_id):
        """Read one entry with its postings and hash."""
        entry = get_entry(db_session(), entry_id)
        require_readable(principal(), [p.account for p in entry.postings])
        return entry


@blp.route("/<int:entry_id>/reverse")
class ReverseEntry(MethodView):
    @unit_of_work(blp)
    @blp.arguments(ReverseSchema)
    @blp.response(201, EntrySchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, entry_id):
        """Reverse a manual entry: a new entry mirrors it and links to it. At most once.

        Entries posted by an operation (donations, allocations, refunds, payments) are
        refused with 409: correct them through that operation."""
        session = db_session()
        original = get_entry(session, entry_id)
        require_writable(principal(), [("entry_id", p.account) for p in original.postings])
        return reverse_manual_entry(session, principal().actor, entry_id,
                                    body["effective_date"] or today(), body["memo"])
