"""GET /exports/ledger: the general ledger of a date range and pool subtree as a download.

The rows and formats are :mod:`fundpool.exports.ledger_export`'s; this module parses,
authorises and streams. CSV, JSON Lines and Beancount are written while they are sent,
from a session of their own that lives as long as the download (the request's session is
closed by then); XLSX is built in a temporary file first (a zip cannot be sent before it
is finished) and then sent from it.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.exports.download import ledger_response
from fundpool.api.ledger.scope import export_subtree, readable_range
from fundpool.api.pagination import QUERY
from fundpool.api.pools.schemas import CODE
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.exports.ledger_export import (
    FORMATS,
    MEDIA_TYPES,
    LedgerRange,
    check_days,
)
from fundpool.ledger.posting import today

blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports",
                description="The general ledger as CSV, JSON Lines, XLSX or Beancount")

FILE = {"type": "string", "format": "binary"}
DOWNLOAD_HEADERS = {"Content-Disposition": {
    "description": 'attachment; filename="ledger-<pool>-<from>-<to>.<format>"',
    "schema": {"type": "string"}}}


class LedgerExportQuerySchema(ma.Schema):
    date_from = ma.fields.Date(data_key="from", required=True,
                               metadata={"description": "First effective date (China time)"})
    date_to = ma.fields.Date(data_key="to", required=True,
                             metadata={"description": "Last effective date, not after today"})
    pool = ma.fields.String(validate=CODE, metadata={
        "example": "440304", "description": "Pool subtree; by default the caller's own pool "
                                            "(admins) or every pool (auditors)"})
    format = ma.fields.String(load_default="csv", validate=ma.validate.OneOf(FORMATS),
                              metadata={"description": "csv (UTF-8 with BOM), jsonl, xlsx or "
                                                       "beancount"})


@blp.route("/ledger")
class LedgerExport(MethodView):
    @blp.arguments(LedgerExportQuerySchema, **QUERY)
    @blp.response(200, FILE, content_type=MEDIA_TYPES["csv"], headers=DOWNLOAD_HEADERS,
                  description="The ledger as an attachment in the format asked for")
    @blp.alt_response(200, schema=FILE, content_type=MEDIA_TYPES["jsonl"], success=True,
                      headers=DOWNLOAD_HEADERS, description="JSON Lines, one posting a line")
    @blp.alt_response(200, schema=FILE, content_type=MEDIA_TYPES["xlsx"], success=True,
                      headers=DOWNLOAD_HEADERS, description="A one-sheet workbook")
    @blp.alt_response(200, schema=FILE, content_type=MEDIA_TYPES["beancount"], success=True,
                      headers=DOWNLOAD_HEADERS, description="A Beancount file")
    @documents_errors(blp, 403, 404)
    def get(self, args):
        """Download the general ledger: every posting of a date range in a pool subtree.

        One row per posting, ordered by effective date, entry and posting: entry id, dates,
        kind, account code and names, fund, pool, debit, credit, currency, memo, external
        reference and the entry's hash. Auditors export any pool, admins their subtree.
        CSV cells that a spreadsheet would run as a formula are prefixed with `'`. The
        Beancount file opens in Beancount's tools (`bean-check`); see docs/exports.md.
        """
        viewer = principal()
        readable_range(viewer)
        start, end = args["date_from"], args["date_to"]
        check_days(start, end, today())
        code, within = export_subtree(db_session(), viewer, args.get("pool"))
        scope = LedgerRange(start, end, within)
        return ledger_response(scope, args["format"], code)


