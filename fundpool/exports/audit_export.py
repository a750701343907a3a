"""The audit log as a file for auditors: CSV (UTF-8 with BOM), JSON Lines or XLSX.

One row per event, oldest first, read in batches so a log of any length streams;
times in China Standard Time with their offset. ``details`` is the event's JSON as
text. Cells a spreadsheet would run as a formula are neutralised by the writers
(:mod:`fundpool.exports.writers`), since actors, targets and details carry text that
API callers chose.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from sqlalchemy.orm import Session

from fundpool.audit.models import AuditEvent
from fundpool.audit.query import AuditFilter, events_select
from fundpool.exports.writers import csv_chunks, xlsx_file
from fundpool.ledger.posting import LEDGER_TZ

FORMATS = ("csv", "jsonl", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv",
    "jsonl": "application/jsonl",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
COLUMNS = (
    ("编号", "id"),
    ("时间", "occurred_at"),
    ("操作人", "actor"),
    ("令牌编号", "token_id"),
    ("操作", "action"),
    ("对象类型", "target_type"),
    ("对象编号", "target_id"),
    ("请求编号", "request_id"),
    ("详情", "details"),
)
HEADER = tuple(f"{zh} / {en}" for zh, en in COLUMNS)
BATCH_ROWS = 2000


def event_values(event: AuditEvent) -> tuple:
    """One event as plain values in ``COLUMNS`` order; ``details`` stays a dict."""
    return (event.id, event.occurred_at.astimezone(LEDGER_TZ).isoformat(timespec="seconds"),
            event.actor, event.token_id, event.action, event.target_type, event.target_id,
            event.request_id, event.details)


def events(session: Session, wanted: AuditFilter) -> Iterator[tuple]:
    result = session.scalars(events_select(wanted).order_by(AuditEvent.id).execution_options(yield_per=BATCH_ROWS))
    for event in result:
        yield event_values(event)


def rows(session: Session, wanted: AuditFilter) -> Iterator[tuple]:
    """Table rows: ``details`` as JSON text."""
    for values in events(session, wanted):
        yield values[:-1] + (json.dumps(values[-1], ensure_ascii=False, sort_keys=True),)


def chunks(session: Session, wanted: AuditFilter, kind: str) -> Iterator[bytes]:
    """The export as byte chunks (CSV or JSON Lines), written as the rows are read."""
    if kind == "csv":
        yield from csv_chunks(HEADER, rows(session, wanted))
    elif kind == "jsonl":
        keys = tuple(en for _, en in COLUMNS)
        for values in events(session, wanted):
            record = dict(zip(keys, values))
            yield (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    else:
        raise ValueError(f"stream {kind!r}? use xlsx_export for a workbook")


def xlsx_export(session: Session, wanted: AuditFilter) -> IO[bytes]:
    return xlsx_file(HEADER, rows(session, wanted), "审计日志")


def write_export(session: Session, wanted: AuditFilter, kind: str, out: IO[bytes]) -> None:
    if kind == "xlsx":
        with xlsx_export(session, wanted) as workbook:
            while block := workbook.read(1 << 20):
                out.write(block)
        return
    for chunk in chunks(session, wanted, kind):
        out.write(chunk)
