"""The audit log, for auditors: every write, who made it, when, from which request.

Listed a page at a time or downloaded whole (CSV, JSON Lines, XLSX) with the same
filters; the rows are :mod:`fundpool.exports.audit_export`'s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from flask import Response, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import sessionmaker

from fundpool.api.audit.schemas import (
    AuditExportQuerySchema,
    AuditPageSchema,
    AuditQuerySchema,
)
from fundpool.api.pagination import QUERY, decode_cursor, page_body
from fundpool.api.requests import database, db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.audit import query
from fundpool.audit.models import AuditEvent
from fundpool.auth.principal import require_role
from fundpool.exports import audit_export
from fundpool.paging import keyset_page

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit-events",
                description="The append-only audit log")
FILE = {"type": "string", "format": "binary"}
DOWNLOAD_HEADERS = {"Content-Disposition": {
    "description": 'attachment; filename="audit-log.<format>"', "schema": {"type": "string"}}}


@blp.route("")
class AuditEvents(MethodView):
    @blp.arguments(AuditQuerySchema, **QUERY)
    @blp.response(200, AuditPageSchema)
    @documents_errors(blp, 403)
    def get(self, args):
        """List audit events, oldest first (auditors), by action, actor, target, request or
        days (China time)."""
        require_role(principal(), "auditor")
        stmt = query.events_select(args["filter"])
        return page_body(keyset_page(db_session(), stmt, AuditEvent.id,
                                     decode_cursor(args["cursor"], int), args["limit"]))


@blp.route("/export")
class AuditExport(MethodView):
    @blp.arguments(AuditExportQuerySchema, **QUERY)
    @blp.response(200, FILE, content_type=audit_export.MEDIA_TYPES["csv"],
                  headers=DOWNLOAD_HEADERS, description="The audit log as an attachment")
    @blp.alt_response(200, schema=FILE, content_type=audit_export.MEDIA_TYPES["jsonl"],
                      success=True, headers=DOWNLOAD_HEADERS,
                      description="JSON Lines, one event a line")
    @blp.alt_response(200, schema=FILE, content_type=audit_export.MEDIA_TYPES["xlsx"],
                      success=True, headers=DOWNLOAD_HEADERS, description="A one-sheet workbook")
    @documents_errors(blp, 403)
    def get(self, args):
        """Download the audit log (auditors): every event the filters match, oldest first,
        with actor, action, target, request id and details; times in China time."""
        require_role(principal(), "auditor")
        kind, wanted = args["format"], args["filter"]
        name = f"audit-log.{kind}"
        if kind == "xlsx":
            workbook = audit_export.xlsx_export(db_session(), wanted)
            response = send_file(workbook, mimetype=audit_export.MEDIA_TYPES[kind],
                                 as_attachment=True, download_name=name, conditional=False,
                                 etag=False)
            response.content_length = os.fstat(workbook.fileno()).st_size
        else:
            response = Response(_download(database().sessions, wanted, kind),
                                mimetype=audit_export.MEDIA_TYPES[kind])
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "no-store"
        return response


def _download(sessions: sessionmaker, wanted: query.AuditFilter, kind: str) -> Iterator[bytes]:
    with sessions() as session:
        yield from audit_export.chunks(session, wanted, kind)
