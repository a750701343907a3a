"""The general ledger for a date range and a pool subtree, posting by posting, for auditors.

One row per posting of every entry whose effective date lies in ``[from, to]``
and whose account belongs to a pool of the subtree, ordered by effective date,
entry id, then posting. The rows come from one query read in batches (a
server-side cursor on PostgreSQL, ``yield_per``), and every writer here puts
them out as they come, so memory stays flat however long the range.

Formats:

- ``csv``: UTF-8 with a byte-order mark (Excel opens the Chinese text), a
  bilingual header, cells that a spreadsheet would run as a formula prefixed
  with ``'`` (:mod:`fundpool.exports.cells`); debit and credit are never
  negative, so amounts are never prefixed.
- ``jsonl``: one JSON object per posting, keys the English column names.
- ``xlsx``: an openpyxl write-only workbook built in a temporary file.
- ``beancount``: a Beancount file that ``bean-check`` accepts; see
  :func:`beancount_account` for the account names and :func:`beancount_chunks`
  for what an entry with legs outside the subtree becomes.

No Flask here: the API and the CLI both call these functions.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timezone
from typing import IO

from sqlalchemy import (BigInteger, DateTime, Text, case, cast, func, literal, null, select,
                        type_coerce)
from sqlalchemy.orm import Session

from fundpool.errors import InvalidInput
from fundpool.exports.cells import neutralise
from fundpool.exports.writers import BOM, CHUNK_BYTES, xlsx_file
from fundpool.funds.models import Fund
from fundpool.ledger.models import Account, Entry, Posting
from fundpool.ledger.money import EXPONENTS, format_amount
from fundpool.ledger.posting import LEDGER_TZ
from fundpool.ledger.queries import CodeRange
from fundpool.pools.models import Pool

FORMATS = ("csv", "jsonl", "xlsx", "beancount")
MEDIA_TYPES = {
    "csv": "text/csv",
    "jsonl": "application/jsonl",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "beancount": "text/plain",
}
EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "xlsx": "xlsx", "beancount": "beancount"}

#: Columns: Chinese, then the English name (the JSON Lines key). The CSV and XLSX header
#: reads "分录编号 / entry_id", so a person reads the first half and a script splits on " / ".
COLUMNS = (
    ("分录编号", "entry_id"),
    ("记账日期", "effective_date"),
    ("录入时间", "recorded_at"),
    ("类型", "kind"),
    ("科目代码", "account"),
    ("科目名称", "account_name"),
    ("科目英文名称", "account_name_en"),
    ("基金代码", "fund"),
    ("资金池代码", "pool"),
    ("借方", "debit"),
    ("贷方", "credit"),
    ("币种", "currency"),
    ("摘要", "memo"),
    ("外部编号", "external_ref"),
    ("分录哈希", "entry_hash"),
)
HEADER = tuple(f"{zh} / {en}" for zh, en in COLUMNS)
KEYS = tuple(en for _, en in COLUMNS)
#: Rows fetched from the database at a time.
BATCH_ROWS = 5000

#: Beancount's five root accounts for fundpool's account types.
BEANCOUNT_ROOTS = {"asset": "Assets", "liability": "Liabilities", "net_assets": "Equity",
                   "income": "Income", "expense": "Expenses"}
#: Where the Beancount export puts the legs of an entry that lie outside the subtree.
OUTSIDE_ACCOUNT = "Equity:Outside-Subtree"


@dataclass(frozen=True, slots=True)
class LedgerRange:
    """What to export: effective dates ``start`` to ``end`` inclusive, in a pool subtree
    (``within``; ``None`` for every pool)."""

    start: date
    end: date
    within: CodeRange | None = None


def check_days(start: date, end: date, today: date) -> None:
    """An export's days: ``to`` not after today (the ledger ends there), ``from`` not after
    ``to``; a 422 naming the field otherwise."""
    if end > today:
        raise InvalidInput("to ({end}) is in the future; the ledger ends today ({today})",
                           "to", end=end.isoformat(), today=today.isoformat())
    if start > end:
        raise InvalidInput("from ({start}) is after to ({end})", "from",
                           start=start.isoformat(), end=end.isoformat())


def _conditions(scope: LedgerRange) -> list:
    conditions = [Posting.effective_date >= scope.start, Posting.effective_date <= scope.end]
    if scope.within is not None:
        conditions.append(Pool.code.between(scope.within.low, scope.within.high))
    return conditions


def _posting_select(scope: LedgerRange):
    # recorded_at as the driver gives it (aware on PostgreSQL, naive UTC on SQLite; see
    # _china_time), without the column type's per-row conversion.
    recorded_at = type_coerce(Entry.recorded_at, DateTime(timezone=True))
    return (select(Posting.entry_id, Posting.effective_date, recorded_at, Entry.kind,
                   Account.code, Account.name, Account.name_en, Fund.code, Pool.code,
                   Posting.side, Posting.amount, Posting.currency, Entry.memo,
                   Entry.external_ref, Entry.entry_hash, Account.type)
            .select_from(Posting)
            .join(Entry, Entry.id == Posting.entry_id)
            .join(Account, Account.id == Posting.account_id)
            .join(Pool, Pool.id == Account.pool_id)
            .outerjoin(Fund, Fund.id == Account.fund_id)
            .where(*_conditions(scope))
            .order_by(Posting.effective_date, Posting.entry_id, Posting.id))


def count_postings(session: Session, scope: LedgerRange) -> int:
    """How many rows the export will have (for a progress bar)."""
    stmt = (select(func.count()).select_from(Posting)
            .join(Account, Account.id == Posting.account_id)
            .join(Pool, Pool.id == Account.pool_id)
            .where(*_conditions(scope)))
    return session.scalar(stmt) or 0


#: Called with the number of postings written so far, every ``BATCH_ROWS`` and at the end.
Progress = Callable[[int], None]


def _raw_rows(session: Session, scope: LedgerRange,
              progress: Progress | None = None) -> Iterator[tuple]:
    # Core execution on the session's connection: the rows are plain columns, so the ORM's
    # per-row work would only cost time; yield_per streams them (a server-side cursor).
    result = session.connection().execution_options(yield_per=BATCH_ROWS).execute(
        _posting_select(scope))
    done = 0
    for batch in result.partitions():
        yield from batch
        done += len(batch)
        if progress is not None:
            progress(done)
    if progress is not None:
        progress(done)


def ledger_rows(session: Session, scope: LedgerRange, progress: Progress | None = None, *,
                safe: bool = False) -> Iterator[tuple]:
    """The export's rows shaped as ``COLUMNS``: the entry id as a number, everything else
    text (amounts as decimal strings in the currency's exponent, the other side empty;
    the recorded time in ISO 8601 China time).

    ``safe`` makes the text a person or a chart wrote (kind, account names, memo, external
    reference) safe for a spreadsheet (:func:`fundpool.exports.cells.neutralise`); the other
    columns are ids, dates, codes, unsigned amounts and hashes, which cannot start a formula.
    The entry's and the account's parts are made once per entry and per account.
    """
    clean = neutralise if safe else _same
    last_entry = None
    head = tail = ()
    accounts: dict[str, tuple] = {}
    for (entry_id, day, recorded_at, kind, code, name, name_en, fund, pool, side, amount,
         currency, memo, external_ref, entry_hash, _type) in _raw_rows(session, scope, progress):
        if entry_id != last_entry:
            last_entry = entry_id
            head = (entry_id, day.isoformat(), _china_time(recorded_at), clean(kind))
            tail = (clean(memo), clean(external_ref or ""), entry_hash)
        account = accounts.get(code)
        if account is None:
            account = accounts[code] = (code, clean(name), clean(name_en),
                                        fund if fund is not None else pool, pool)
        money = format_amount(amount, currency)
        yield head + account + ((money, "", currency) if side == "debit"
                                else ("", money, currency)) + tail


def _same(value: object) -> object:
    return value


def _china_time(moment) -> str:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LEDGER_TZ).isoformat(timespec="seconds")


# --- writers -------------------------------------------------------------------------------

def csv_export(session: Session, scope: LedgerRange,
               progress: Progress | None = None) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks, the first starting with the BOM; RFC 4180 quoting
    and CRLF line ends like :func:`fundpool.exports.writers.csv_chunks`, with the text cells
    neutralised once per entry and account rather than every cell of every row.

    On PostgreSQL the rows are made by the database (:func:`_pg_csv_chunks`), the same bytes
    about three times as fast; elsewhere by Python."""
    if session.get_bind().dialect.name == "postgresql":
        return _pg_csv_chunks(session, scope, progress)
    return _python_csv_chunks(session, scope, progress)


def _csv_header() -> str:
    buffer = io.StringIO()
    buffer.write(BOM)
    csv.writer(buffer, lineterminator="\r\n").writerow(HEADER)
    return buffer.getvalue()


def _pg_csv_chunks(session: Session, scope: LedgerRange,
                   progress: Progress | None = None) -> Iterator[bytes]:
    """The CSV by ``COPY (SELECT …) TO STDOUT WITH (FORMAT csv)``: the same query, with the
    values formatted in SQL exactly as :func:`ledger_rows` formats them (amounts in the
    currency's exponent, China time, text cells neutralised, empty text as NULL so that it is
    written unquoted, as Python's csv module does). PostgreSQL quotes a field for the same
    reasons Python does (a comma, a quote, CR or LF); it ends records with LF, which is turned
    into CRLF here outside quoted fields (a quote count carried across chunks), so LF inside a
    memo stays as it is. Progress is reported by records."""
    compiled = _pg_csv_select(scope).compile(dialect=session.get_bind().dialect)
    params, sql = compiled.params, str(compiled)
    cursor = session.connection().connection.driver_connection.cursor()
    yield _csv_header().encode("utf-8")
    quotes = 0
    carry = b""
    done = 0
    pending = bytearray()
    with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
        for block in copy:
            pieces = (carry + bytes(block)).split(b"\n")
            carry = pieces.pop()
            for piece in pieces:
                quotes += piece.count(b'"')
                pending += piece
                if quotes % 2:
                    pending += b"\n"
                else:
                    pending += b"\r\n"
                    done += 1
            if len(pending) >= CHUNK_BYTES:
                yield bytes(pending)
                pending.clear()
                if progress is not None:
                    progress(done)
    pending += carry
    yield bytes(pending)
    if progress is not None:
        progress(done)


def _pg_text(column):
    """A text cell as the CSV writes it: neutralised, and NULL when empty."""
    safe = case((column.regexp_match("^[-=+@\t\r]"), literal("'") + column), else_=column)
    return func.nullif(safe, "")


def _pg_amount(side: str):
    exponent = case(*((Posting.currency == currency, literal(e))
                      for currency, e in EXPONENTS.items()), else_=literal(2))
    scale = func.power(10, exponent).cast(BigInteger)
    text = case((exponent == 0, cast(Posting.amount, Text)),
                else_=cast(Posting.amount // scale, Text) + "." +
                func.lpad(cast(Posting.amount % scale, Text), exponent, "0"))
    return case((Posting.side == side, text), else_=null())


def _pg_csv_select(scope: LedgerRange):
    local = func.timezone(LEDGER_TZ.key, Entry.recorded_at)
    return (select(Posting.entry_id, cast(Posting.effective_date, Text),
                   func.to_char(local, 'YYYY-MM-DD"T"HH24:MI:SS') + "+08:00",
                   _pg_text(Entry.kind), Account.code, _pg_text(Account.name),
                   _pg_text(Account.name_en), func.coalesce(Fund.code, Pool.code), Pool.code,
                   _pg_amount("debit"), _pg_amount("credit"), Posting.currency,
                   _pg_text(Entry.memo), _pg_text(func.coalesce(Entry.external_ref, "")),
                   Entry.entry_hash)
            .select_from(Posting)
            .join(Entry, Entry.id == Posting.entry_id)
            .join(Account, Account.id == Posting.account_id)
            .join(Pool, Pool.id == Account.pool_id)
            .outerjoin(Fund, Fund.id == Account.fund_id)
            .where(*_conditions(scope))
            .order_by(Posting.effective_date, Posting.entry_id, Posting.id))


def _python_csv_chunks(session: Session, scope: LedgerRange,
                       progress: Progress | None = None) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(HEADER)
    for row in ledger_rows(session, scope, progress, safe=True):
        writer.writerow(row)
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def jsonl_chunks(session: Session, scope: LedgerRange,
                 progress: Progress | None = None) -> Iterator[bytes]:
    """One JSON object per line (UTF-8, no BOM), keys ``KEYS``."""
    buffer = io.StringIO()
    for row in ledger_rows(session, scope, progress):
        buffer.write(json.dumps(dict(zip(KEYS, row)), ensure_ascii=False))
        buffer.write("\n")
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_export(session: Session, scope: LedgerRange,
                progress: Progress | None = None) -> IO[bytes]:
    """A one-sheet workbook in a temporary file, rewound; closing the file deletes it."""
    return xlsx_file(HEADER, ledger_rows(session, scope, progress),
                     sheet_title=f"{scope.start.isoformat()}_{scope.end.isoformat()}")


def beancount_account(account_type: str, code: str) -> str:
    """fundpool's account ``<fund>:<chart>:<currency>`` as a Beancount account name.

    ``<Root>:<fund>:<chart>-<currency>``: the root from the account's type (asset →
    ``Assets``, liability → ``Liabilities``, net assets → ``Equity``, income → ``Income``,
    expense → ``Expenses``), then the fund code — a pool's own code for its general fund
    (digits: Beancount accepts a component starting with a digit) or a special fund's code
    (``[A-Z][A-Z0-9-]*``) — then the chart code and currency joined by ``-``. So
    ``440304001:1002:CNY`` is ``Assets:440304001:1002-CNY`` and
    ``ELDER-440304001:410102:CNY`` is ``Income:ELDER-440304001:410102-CNY``; the mapping
    is one to one and reversible.
    """
    fund, chart, currency = code.split(":")
    return f"{BEANCOUNT_ROOTS[account_type]}:{fund}:{chart}-{currency}"


def _bean_string(text: str | None) -> str:
    text = (text or "").replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r", " ").replace("\n", " ") + '"'


def _opened_accounts(session: Session, scope: LedgerRange) -> list[tuple[str, str, str, date]]:
    """Every account the range posts to, with its first posting date in the range."""
    stmt = (select(Account.type, Account.code, Account.currency,
                   func.min(Posting.effective_date))
            .select_from(Posting)
            .join(Account, Account.id == Posting.account_id)
            .join(Pool, Pool.id == Account.pool_id)
            .where(*_conditions(scope))
            .group_by(Account.type, Account.code, Account.currency)
            .order_by(Account.code))
    return [tuple(row) for row in session.execute(stmt)]


def beancount_chunks(session: Session, scope: LedgerRange,
                     progress: Progress | None = None) -> Iterator[bytes]:
    """The Beancount file as UTF-8 byte chunks.

    First the options and one ``commodity`` per currency, then an ``open`` for every account
    posted to in the range, dated on its first posting in the range and restricted to its
    currency, then one transaction per entry (flag ``*``, the kind as payee, the memo as
    narration; metadata ``fundpool_entry``, ``entry_hash``, ``recorded_at``, and
    ``external_ref`` when there is one), each posting signed debit positive, credit negative,
    with the currency's decimals.

    An entry can have legs outside the subtree (an allocation from the district to a street,
    exported for the street). Those legs are not exported; instead the entry gets one
    posting per currency on ``Equity:Outside-Subtree`` that balances it, so the file
    balances and every exported account's Beancount balance equals fundpool's movement over
    the range. Only the range's movements are in the file: for balances to equal the
    accounts' balances, export from the first entry.
    """
    accounts = _opened_accounts(session, scope)
    buffer = io.StringIO()
    buffer.write(f'option "title" "fundpool general ledger {scope.start} to {scope.end}"\n')
    buffer.write('option "operating_currency" "CNY"\n\n')
    currencies = sorted({currency for _, _, currency, _ in accounts})
    first = min((opened for *_, opened in accounts), default=scope.start)
    for currency in currencies:
        buffer.write(f"{first.isoformat()} commodity {currency}\n")
    buffer.write("\n")
    if scope.within is not None:
        buffer.write(f"{first.isoformat()} open {OUTSIDE_ACCOUNT}\n")
    for account_type, code, currency, opened in accounts:
        buffer.write(f"{opened.isoformat()} open {beancount_account(account_type, code)} "
                     f"{currency}\n")
    buffer.write("\n")

    current: list[tuple] = []
    for row in _raw_rows(session, scope, progress):
        if current and row[0] != current[0][0]:
            _write_transaction(buffer, current)
            current = []
            if buffer.tell() >= CHUNK_BYTES:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        current.append(row)
    if current:
        _write_transaction(buffer, current)
    yield buffer.getvalue().encode("utf-8")


def _bean_amount(minor: int, currency: str) -> str:
    return f"{format_amount(minor, currency)} {currency}"


def _write_transaction(buffer: io.StringIO, postings: list[tuple]) -> None:
    (entry_id, day, recorded_at, kind, _code, _name, _name_en, _fund, _pool, _side, _amount,
     _currency, memo, external_ref, entry_hash, _type) = postings[0]
    buffer.write(f"{day.isoformat()} * {_bean_string(kind)} {_bean_string(memo)}\n")
    buffer.write(f"  fundpool_entry: {entry_id}\n")
    buffer.write(f"  entry_hash: {_bean_string(entry_hash)}\n")
    buffer.write(f"  recorded_at: {_bean_string(_china_time(recorded_at))}\n")
    if external_ref:
        buffer.write(f"  external_ref: {_bean_string(external_ref)}\n")
    net: dict[str, int] = {}
    for (_e, _d, _r, _k, code, _n, _ne, _f, _p, side, amount, currency, _m, _x, _h,
         account_type) in postings:
        signed = amount if side == "debit" else -amount
        net[currency] = net.get(currency, 0) + signed
        buffer.write(f"  {beancount_account(account_type, code)}  "
                     f"{_bean_amount(signed, currency)}\n")
    for currency, rest in sorted(net.items()):
        if rest:
            buffer.write(f"  {OUTSIDE_ACCOUNT}  {_bean_amount(-rest, currency)}\n")
    buffer.write("\n")


def write_export(session: Session, scope: LedgerRange, kind: str, out: IO[bytes],
                 progress: Progress | None = None) -> None:
    """Write the export in format ``kind`` to a binary file (the CLI's path)."""
    if kind == "xlsx":
        with xlsx_export(session, scope, progress) as workbook:
            while chunk := workbook.read(CHUNK_BYTES):
                out.write(chunk)
        return
    for chunk in chunks(session, scope, kind, progress):
        out.write(chunk)


def chunks(session: Session, scope: LedgerRange, kind: str,
           progress: Progress | None = None) -> Iterator[bytes]:
    """The streamed formats (csv, jsonl, beancount) as byte chunks."""
    if kind == "csv":
        return csv_export(session, scope, progress)
    if kind == "jsonl":
        return jsonl_chunks(session, scope, progress)
    if kind == "beancount":
        return beancount_chunks(session, scope, progress)
    raise ValueError(f"{kind} is not a streamed format")


__all__ = ["BOM", "COLUMNS", "EXPONENTS", "FORMATS", "HEADER", "KEYS", "LedgerRange",
           "MEDIA_TYPES", "beancount_account", "beancount_chunks", "chunks", "count_postings",
           "csv_export", "jsonl_chunks", "ledger_rows", "write_export", "xlsx_export"]
