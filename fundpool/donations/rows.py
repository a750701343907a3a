"""Reading a donations file row by row: CSV (UTF-8 or GBK) or XLSX, never whole in memory.

Columns (header names, in any order): ``transaction_id``, ``time``, ``amount``,
``donor_name`` (empty: anonymous), ``fund_code``; optional ``currency`` (default
CNY) and ``purpose``. Chinese headers as platforms export them are accepted too
(交易号, 时间, 金额, 捐赠人, 基金编号, 币种, 备注). See docs/samples/.

Other tabular imports (the needs survey) read their files with the same code, naming
their own columns in a ``Columns``.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Iterator, Mapping

from fundpool.errors import InvalidInput

REQUIRED = ("transaction_id", "time", "amount", "donor_name", "fund_code")
OPTIONAL = ("currency", "purpose")
#: The order of the values in every row read.
FIELDS = ("transaction_id", "time", "amount", "currency", "donor_name", "fund_code", "purpose")
ALIASES = {"交易号": "transaction_id", "交易单号": "transaction_id", "时间": "time",
           "捐赠时间": "time", "金额": "amount", "捐赠金额": "amount", "捐赠人": "donor_name",
           "捐赠人昵称": "donor_name", "基金编号": "fund_code", "项目编号": "fund_code",
           "币种": "currency", "备注": "purpose"}


@dataclass(frozen=True)
class Columns:
    """A file's columns: those it must have, those it may have, the order of the values in
    every row read, and other header names (e.g. Chinese) for them."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    order: tuple[str, ...]
    aliases: Mapping[str, str]


DONATIONS = Columns(REQUIRED, OPTIONAL, FIELDS, ALIASES)


def read_rows(path: Path, columns: Columns = DONATIONS) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(line number, values in ``columns.order``) pairs for every non-blank row; the header
    is line 1, and a row's line is the one it starts on. Values are as the file has them
    (not stripped); a missing one is ""."""
    if path.suffix.lower() == ".xlsx":
        yield from _xlsx(path, columns)
    else:
        yield from _csv(path, columns)


def estimate_rows(path: Path) -> int:
    """About how many rows the file holds (for progress), without parsing it."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook
        try:
            book = load_workbook(path, read_only=True)
            return max((book.worksheets[0].max_row or 1) - 1, 0)
        except Exception:  # noqa: BLE001 - reading will report the bad file
            return 0
    with path.open("rb") as raw:
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: raw.read(1 << 20), b""))
                   - 1, 0)


def _positions(header: list, columns: Columns) -> list[int | None]:
    """Where each of ``columns.order`` sits in the header (None: absent)."""
    names = [columns.aliases.get(str(h or "").strip(), str(h or "").strip().lower())
             for h in header]
    missing = [name for name in columns.required if name not in names]
    if missing:
        raise InvalidInput(f"the file lacks the column(s) {', '.join(missing)}; expected "
                           f"{', '.join(columns.required)} (and optionally "
                           f"{', '.join(columns.optional)})", "file")
    return [names.index(field) if field in names else None for field in columns.order]


def _picker(positions: list[int | None]):
    """A function from a row's values (a list it may extend) to the ordered tuple: short
    rows are padded, an absent column reads as ""."""
    width = max(p for p in positions if p is not None) + 1
    get = itemgetter(*(p if p is not None else -1 for p in positions))

    def pick(values: list) -> tuple[str, ...]:
        if len(values) < width:
            values.extend([""] * (width - len(values)))
        values.append("")  # what index -1 finds
        return get(values)
    return pick


def _csv(path: Path, columns: Columns) -> Iterator[tuple[int, tuple[str, ...]]]:
    encoding = _encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(_without_nul(handle))
        try:
            pick = _picker(_positions(next(reader), columns))
        except StopIteration:
            raise InvalidInput("the file is empty", "file") from None
        except UnicodeDecodeError:
            raise InvalidInput("the file is neither UTF-8 nor GBK text", "file") from None
        try:
            for start, values in _records(reader):
                if values and any(values):
                    yield start, pick(values)
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"the file has bytes that are not {encoding} text near byte "
                               f"{exc.start}", "file") from None
        except csv.Error as exc:
            raise InvalidInput(f"line {reader.line_num} is not valid CSV: {exc}", "file") \
                from None


def _records(reader) -> Iterator[tuple[int, list[str]]]:
    """(line it starts on, values) for every record: a quoted cell may span lines, and a
    row is reported where it starts, as a spreadsheet numbers it, not where it ends."""
    ended = reader.line_num
    for values in reader:
        yield ended + 1, values
        ended = reader.line_num


def _without_nul(lines: Iterator[str]) -> Iterator[str]:
    """The file's lines, refusing the file at the first NUL character (no database
    text can hold one, and no honest export has one)."""
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            raise InvalidInput(f"line {number} contains a NUL character; the file is not "
                               "plain text", "file")
        yield line


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes, else GB18030 (a superset of
    GBK). The whole file, not a sample: a GBK export may be ASCII for its first megabytes
    and name a donor in Chinese near its end. Read in chunks through an incremental
    decoder, so the file is never whole in memory; a UTF-8 file is read to its end, a GBK
    one only to its first non-UTF-8 byte (and then once more, to check it is GBK)."""
    if _decodes(path, "utf-8"):
        return "utf-8-sig"
    if _decodes(path, "gb18030"):
        return "gb18030"
    raise InvalidInput("the file is neither UTF-8 nor GBK text", "file")


def _decodes(path: Path, encoding: str, chunk: int = 1 << 20) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as raw:
        try:
            for block in iter(lambda: raw.read(chunk), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)  # a character cut off at the end is an error
        except UnicodeDecodeError:
            return False
    return True


def _xlsx(path: Path, columns: Columns) -> Iterator[tuple[int, tuple[str, ...]]]:
    from openpyxl import load_workbook
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise InvalidInput("the file is not a readable XLSX workbook", "file") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        pick = _picker(_positions(list(next(rows, ()) or ()), columns))
        for line, values in enumerate(rows, start=2):
            if values and any(v not in (None, "") for v in values):
                yield line, pick([_cell(v) for v in values])
    finally:
        book.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value).strip()

