"""The audit log, for auditors: every write, who made it, when, from which request."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from fundpool.api.audit.schemas import AuditPageSchema, AuditQuerySchema
from fundpool.api.pagination import QUERY, decode_cursor, page_body
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.audit.models import AuditEvent
from fundpool.auth.principal import require_role
from fundpool.paging import keyset_page

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit-events",
                description="The append-only audit log")


@blp.route("")
class AuditEvents(MethodView):
    @blp.arguments(AuditQuerySchema, **QUERY)
    @blp.response(200, AuditPageSchema)
    @documents_errors(blp, 403)
    def get(self, args):
        """List audit events, oldest first (auditors)."""
        require_role(principal(), "auditor")
        stmt = select(AuditEvent)
        if "action" in args:
            stmt = stmt.where(AuditEvent.action == args["action"])
        session = db_session()
        return page_body(keyset_page(session, stmt, AuditEvent.id,
                                     decode_cursor(args["cursor"], int), args["limit"]))
