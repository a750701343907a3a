"""GET /receipts/export: a pool's receipts for a year as a CSV or XLSX download.

Registered on the donations blueprint beside the receipts listing, with the
same rule for who may read them. The rows and their shape are
:mod:`fundpool.donations.receipt_export`'s; this module parses, authorises and
streams. CSV is written while it is sent, from a session of its own that lives
as long as the download; XLSX is built in a temporary file first (a zip cannot
be sent before it is finished) and then sent from it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import marshmallow as ma
from flask import Response, send_file
from flask.views import MethodView
from sqlalchemy.orm import sessionmaker

from fundpool.api.donations.resources import _require_pool_reader, blp
from fundpool.api.donations.schemas import masked
from fundpool.api.pagination import QUERY
from fundpool.api.pools.schemas import CODE
from fundpool.api.requests import database, db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.donations.receipt_export import HEADER, receipt_rows
from fundpool.exports.writers import FORMATS, MEDIA_TYPES, csv_chunks, xlsx_file
from fundpool.pools.service import get_pool

FILE = {"type": "string", "format": "binary"}
DOWNLOAD_HEADERS = {"Content-Disposition": {
    "description": 'attachment; filename="receipts-<pool>-<year>.<format>"',
    "schema": {"type": "string"}}}


class ReceiptExportQuerySchema(ma.Schema):
    pool = ma.fields.String(required=True, validate=CODE, metadata={"example": "440304001"})
    year = ma.fields.Integer(required=True, validate=ma.validate.Range(2000, 2100),
                             metadata={"description": "Calendar year of issue, China time"})
    format = ma.fields.String(load_default="csv", validate=ma.validate.OneOf(FORMATS),
                              metadata={"description": "csv (UTF-8 with BOM) or xlsx"})


@blp.route("/receipts/export")
class ReceiptExport(MethodView):
    @blp.arguments(ReceiptExportQuerySchema, **QUERY)
    @blp.response(200, FILE, content_type=MEDIA_TYPES["csv"], headers=DOWNLOAD_HEADERS,
                  description="The receipts as a CSV or XLSX attachment")
    @blp.alt_response(200, schema=FILE, content_type=MEDIA_TYPES["xlsx"], success=True,
                      headers=DOWNLOAD_HEADERS,
                      description="The receipts as a CSV or XLSX attachment")
    @documents_errors(blp, 403, 404)
    def get(self, args):
        """Download a pool's receipts for a year (CSV or XLSX), voided ones with their reason.

        One row per receipt in 票据代码 and 号码 order; a bilingual header row
        ("票据代码 / code", …). Identity numbers are masked except for auditors;
        cells that a spreadsheet would run as a formula are prefixed with `'`.
        """
        _require_pool_reader(args["pool"])
        pool = get_pool(db_session(), args["pool"], field="pool")
        show_id_number = _unmasked if principal().role == "auditor" else masked
        year, kind = args["year"], args["format"]
        name = f"receipts-{pool.code}-{year}.{kind}"
        if kind == "xlsx":
            rows = receipt_rows(db_session(), pool.id, year, show_id_number=show_id_number)
            workbook = xlsx_file(HEADER, rows, sheet_title=f"{pool.code}-{year}")
            response = send_file(workbook, mimetype=MEDIA_TYPES["xlsx"], as_attachment=True,
                                 download_name=name, conditional=False, etag=False)
            response.content_length = os.fstat(workbook.fileno()).st_size
        else:
            response = Response(_csv_download(database().sessions, pool.id, year,
                                              show_id_number), mimetype=MEDIA_TYPES["csv"])
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "no-store"
        return response


def _csv_download(sessions: sessionmaker, pool_id: int, year: int,
                  show_id_number: Callable[[str | None], str | None]) -> Iterator[bytes]:
    """The CSV's chunks, read in a session opened when the download starts and closed when
    it ends or is abandoned (the request's own session is closed by then)."""
    with sessions() as session:
        yield from csv_chunks(HEADER, receipt_rows(session, pool_id, year,
                                                   show_id_number=show_id_number))


def _unmasked(id_number: str | None) -> str | None:
    return id_number
