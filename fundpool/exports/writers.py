"""CSV and XLSX written a row at a time, so an export of any length never sits in memory.

Both take a header and an iterator of rows (text, numbers or ``None``); every
cell goes through :func:`fundpool.exports.cells.neutralise` on the way out.

- CSV: UTF-8 with a byte-order mark, so Excel opens Chinese text correctly;
  RFC 4180 quoting and CRLF line ends; produced as chunks of about 64 KiB.
- XLSX: an openpyxl write-only workbook, which keeps its rows in a temporary
  file rather than in memory; the finished workbook is a temporary file too,
  deleted when it is closed.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from fundpool.exports.cells import neutralise

FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_BYTES = 64 * 1024
BOM = "\ufeff"

Row = Sequence[object]


def csv_chunks(header: Row, rows: Iterable[Row]) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks, the first starting with the BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([neutralise(value) for value in header])
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_file(header: Row, rows: Iterable[Row], sheet_title: str) -> IO[bytes]:
    """A one-sheet workbook in a temporary file, rewound; closing the file deletes it.
    openpyxl is imported here, not at the top: it loads numpy, half a second at every
    start of the web app, for the few requests that ask for XLSX."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title)
    sheet.append([_xlsx_value(value) for value in header])
    for row in rows:
        sheet.append([_xlsx_value(value) for value in row])
    out = tempfile.TemporaryFile(prefix="fundpool-export-", suffix=".xlsx")  # noqa: SIM115
    try:
        workbook.save(out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out


def _xlsx_value(value: object) -> object:
    """Control characters cannot be stored in XLSX at all: they are dropped, and only then
    is the value neutralised (so a dropped character cannot uncover a leading ``=``)."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise(value)
