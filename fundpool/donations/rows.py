"""Reading a donations file row by row: CSV (UTF-8 or GBK) or XLSX, never whole in memory.

Columns (header names, in any order): ``transaction_id``, ``time``, ``amount``,
``donor_name`` (empty: anonymous), ``fund_code``; optional ``currency`` (default
CNY) and ``purpose``. Chinese headers as platforms export them are accepted too
(交易号, 时间, 金额, 捐赠人, 基金编号, 币种, 备注). See docs/samples/.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from fundpool.errors import InvalidInput

REQUIRED = ("transaction_id", "time", "amount", "donor_name", "fund_code")
OPTIONAL = ("currency", "purpose")
ALIASES = {"交易号": "transaction_id", "交易单号": "transaction_id", "时间": "time",
           "捐赠时间": "time", "金额": "amount", "捐赠金额": "amount", "捐赠人": "donor_name",
           "捐赠人昵称": "donor_name", "基金编号": "fund_code", "项目编号": "fund_code",
           "币种": "currency", "备注": "purpose"}


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; the header is line 1."""
    if path.suffix.lower() == ".xlsx":
        yield from _xlsx(path)
    else:
        yield from _csv(path)


def _columns(header: list[str]) -> list[str]:
    names = [ALIASES.get(str(h or "").strip(), str(h or "").strip().lower()) for h in header]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise InvalidInput(f"the file lacks the column(s) {', '.join(missing)}; expected "
                           f"{', '.join(REQUIRED)} (and optionally {', '.join(OPTIONAL)})", "file")
    return names


def _csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open("rb") as raw:
        encoding = _encoding(raw.read(1 << 16))
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        try:
            names = _columns(next(reader))
        except StopIteration:
            raise InvalidInput("the file is empty", "file") from None
        except UnicodeDecodeError:
            raise InvalidInput("the file is neither UTF-8 nor GBK text", "file") from None
        try:
            for line, values in enumerate(reader, start=2):
                if any(v.strip() for v in values):
                    yield line, dict(zip(names, (v.strip() for v in values)))
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"the file has bytes that are not {encoding} text near byte "
                               f"{exc.start}", "file") from None


def _encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) if it decodes, else GB18030 (a superset of GBK)."""
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a character cut at the end of the sample
            return "utf-8-sig"
    try:
        head.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        raise InvalidInput("the file is neither UTF-8 nor GBK text", "file") from None


def _xlsx(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise InvalidInput("the file is not a readable XLSX workbook", "file") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        names = _columns(list(next(rows, ()) or ()))
        for line, values in enumerate(rows, start=2):
            if values and any(v not in (None, "") for v in values):
                yield line, dict(zip(names, (_cell(v) for v in values)))
    finally:
        book.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value).strip()

