"""The HTTP answer carrying a ledger export, for the API and the console alike.

XLSX is built in a temporary file first (its size is known); the text formats stream
from a session of their own that lives as long as the download, so a long range starts at
once and the request's session is not held.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from flask import Response, send_file
from sqlalchemy.orm import sessionmaker

from fundpool.api.requests import database, db_session
from fundpool.exports.ledger_export import (
    EXTENSIONS,
    MEDIA_TYPES,
    LedgerRange,
    chunks,
    xlsx_export,
)


def ledger_response(scope: LedgerRange, kind: str, code: str | None) -> Response:
    name = (f"ledger-{code or 'all'}-{scope.start.isoformat()}-"
            f"{scope.end.isoformat()}.{EXTENSIONS[kind]}")
    if kind == "xlsx":
        workbook = xlsx_export(db_session(), scope)
        response = send_file(workbook, mimetype=MEDIA_TYPES["xlsx"], as_attachment=True,
                             download_name=name, conditional=False, etag=False)
        response.content_length = os.fstat(workbook.fileno()).st_size
    else:
        response = Response(_streamed(database().sessions, scope, kind),
                            mimetype=MEDIA_TYPES[kind])
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _streamed(sessions: sessionmaker, scope: LedgerRange, kind: str) -> Iterator[bytes]:
    """The file's chunks, read in a session opened when the download starts and closed when
    it ends or is abandoned."""
    with sessions() as session:
        yield from chunks(session, scope, kind)
