"""Bulk import of a giving day's platform file, streamed, checked and recorded set-wise.

The file is read once, row by row, into a working table (COPY on PostgreSQL); nothing
of it stays in this process. Then, in the same transaction: rows are parsed (on
PostgreSQL the common shape in one SQL statement, the rest by ``_parse`` here, which
decides what a valid row is and says why one is not), duplicates inside the file and
against what is recorded are set aside, the stated count and total are checked, and
only then are the gifts recorded: one settlement entry per fund, currency and day
(``post_batch``), the donors, and every donation row in one statement. The import is
one transaction: it lands whole or not at all, and a re-run skips what an earlier run
recorded. In strict mode one bad row stops it. Imports on one channel take turns
(an advisory lock on PostgreSQL, the single writer on SQLite), so two at once never
record the same transaction twice.
"""

from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

import sqlalchemy.exc
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.db import Database
from fundpool.donations import staging
from fundpool.donations.models import CHANNELS
from fundpool.donations.rows import estimate_rows, read_rows
from fundpool.donations.service import income_account, money_account
from fundpool.errors import FundpoolError, InvalidInput
from fundpool.funds.models import Fund
from fundpool.ledger.models import Account
from fundpool.ledger.money import MAX_MINOR, format_amount, parse_amount
from fundpool.ledger.periods import closed_months, closed_through, month_of
from fundpool.ledger.posting import EARLIEST_DATE, LEDGER_TZ, post_batch, today
from fundpool.ledger.values import Line, NewEntry, Side

REPORT_LIMIT = 10_000  # rejected and duplicate rows listed in a report, each
PROGRESS_EVERY = 20_000
ANONYMOUS = "匿名"
#: A gift in kind needs what it is and how it was valued, which no platform file has:
#: such gifts are recorded one by one.
IMPORT_CHANNELS = tuple(channel for channel in CHANNELS if channel != "in_kind")
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                 "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


@dataclass(frozen=True, slots=True)
class Settings:
    channel: str = "internet_platform"
    strict: bool = False
    expected_rows: int | None = None
    expected_total: int | None = None  # CNY fen
    may_write: Callable[[Fund], bool] = lambda fund: True


@dataclass
class Report:
    """What an import did. The lists hold the first REPORT_LIMIT rows of each kind, in file
    order; the counts are complete."""

    rows: int = 0
    imported: int = 0
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    duplicate_count: int = 0
    rejected_count: int = 0
    total: dict[str, int] = field(default_factory=dict)  # of the rows recorded
    file_total: dict[str, int] = field(default_factory=dict)  # of every row whose amount reads
    stopped: str | None = None

    @property
    def committed(self) -> bool:
        return self.stopped is None

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < REPORT_LIMIT:
            self.rejected.append((line, reason))


def import_donations(db: Database, actor: Actor, path: Path, settings: Settings,
                     progress: Callable[[int, int], None] = lambda done, total: None) -> Report:
    """Check the whole file, then record its good rows; the report says what happened."""
    check_channel(settings.channel)
    report = Report()
    with _import_session(db) as session:
        staging.create(session)
        report.rows = _read(session, path, progress)
        _parse_all(session, settings, report)
        _set_aside_duplicates(session, settings.channel, report)
        _check_expectations(report, settings)
        if report.committed:
            report.imported = _record(session, actor, settings.channel, report)
        staging.drop(session)
        if report.committed:
            session.commit()
        else:
            session.rollback()
    progress(report.rows, report.rows)
    return report


def check_channel(channel: str) -> None:
    """Every caller (API, console, CLI) checks the channel; this is the last guard."""
    if channel not in IMPORT_CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(IMPORT_CHANNELS)} (gifts in "
                           "kind are recorded one by one, with what they are and how they "
                           "were valued)", "channel")


def _read(session: Session, path: Path, progress: Callable[[int, int], None]) -> int:
    estimate = estimate_rows(path)

    def rows() -> Iterator[tuple]:
        for count, (line, values) in enumerate(read_rows(path), start=1):
            if count % PROGRESS_EVERY == 0:
                progress(count, max(estimate, count))
            yield (line, *(value.strip() for value in values))  # as both parsers read them
    try:
        return staging.load(session, staging.rows, rows())
    except sqlalchemy.exc.DBAPIError as exc:  # e.g. a NUL character PostgreSQL cannot store
        raise InvalidInput(f"the file could not be read: {exc.orig}", "file") from None
    except ValueError as exc:
        raise InvalidInput(f"the file could not be read: {exc}", "file") from None


def _parse_all(session: Session, settings: Settings, report: Report) -> None:
    """Parse every row: the common shape in SQL, the rest here, one reason per bad row."""
    _allowed_funds(session, settings)
    closed, through = closed_months(session), closed_through(session)
    open_from = EARLIEST_DATE if through is None else max(EARLIEST_DATE,
                                                          through + timedelta(days=1))
    staging.fast_parse(session, today(), open_from, closed)
    funds: dict[str, Fund | None] = {}
    accepted: list[tuple] = []
    rejected_total: Counter[str] = Counter()
    for line, *values in staging.unparsed(session):
        try:
            accepted.append(_parse(session, line, values, settings, funds, closed=closed,
                                   open_from=open_from))
        except FundpoolError as exc:
            report.reject(line, exc.message)
            _add_amount(rejected_total, values)
        if len(accepted) >= 1_000:
            staging.load(session, staging.parsed, accepted)
            accepted = []
    staging.load(session, staging.parsed, accepted)
    report.file_total = dict(sorted((Counter(_totals(session, "import_parsed"))
                                     + rejected_total).items()))


def _add_amount(totals: Counter[str], values: list[str | None]) -> None:
    """Count a rejected row's amount into the file's total if it reads, whatever else is
    wrong with the row: the stated total is the file's, as the stated row count is."""
    try:
        currency, minor = _money(values[2] or "", values[3] or "")
    except FundpoolError:
        return
    totals[currency] += minor


def _money(amount: str, currency: str) -> tuple[str, int]:
    """A row's currency (CNY when the cell is empty) and amount in its minor units."""
    currency = (currency.strip() or "CNY").upper()
    return currency, parse_amount(amount.strip(), currency)


def _allowed_funds(session: Session, settings: Settings) -> None:
    """The funds the file names that are open and that the importer may write to."""
    named = session.scalars(select(Fund).where(Fund.code.in_(
        text("SELECT DISTINCT fund_code FROM import_rows")))).all()
    staging.load(session, staging.funds, [
        (fund.code, fund.id, fund.valid_from, fund.valid_to) for fund in named
        if fund.is_open and settings.may_write(fund)])


def _totals(session: Session, table: str) -> dict[str, int]:
    return {currency: int(total) for currency, total in session.execute(text(
        f"SELECT currency, sum(minor) FROM {table} GROUP BY currency ORDER BY currency"))}


_FIRST_OF_EACH = ("SELECT line, ref, day, minor, currency, fund_id, donor, purpose, "
                  "row_number() OVER (PARTITION BY ref ORDER BY line) AS n FROM import_parsed")
_RECORDED = ("EXISTS (SELECT 1 FROM donations d WHERE d.channel = :channel "
             "AND d.channel_ref = p.ref)")


def _set_aside_duplicates(session: Session, channel: str, report: Report) -> None:
    """Keep each transaction's first row unless the channel has it already; list the rest.
    Imports on one channel take turns from here to their commit."""
    if staging.is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                        {"key": f"fundpool.import:{channel}"})
    session.execute(text(
        "INSERT INTO import_good (line, ref, day, minor, currency, fund_id, donor, purpose) "
        f"SELECT line, ref, day, minor, currency, fund_id, donor, purpose FROM ({_FIRST_OF_EACH}) p "
        f"WHERE n = 1 AND NOT {_RECORDED}"), {"channel": channel})
    found = session.execute(text(
        f"SELECT line, ref, n > 1 FROM ({_FIRST_OF_EACH}) p WHERE n > 1 OR {_RECORDED} "
        "ORDER BY line LIMIT :limit"), {"channel": channel, "limit": REPORT_LIMIT})
    report.duplicates = [
        (line, f"transaction {ref} appears earlier in the file" if in_file
         else f"transaction {ref} is already recorded") for line, ref, in_file in found]
    parsed, kept = (session.scalar(text(f"SELECT count(*) FROM {table}"))
                    for table in ("import_parsed", "import_good"))
    report.duplicate_count = parsed - kept
    report.total = _totals(session, "import_good")


def _check_expectations(report: Report, settings: Settings) -> None:
    if settings.strict and report.rejected_count:
        report.stopped = (f"strict mode: {report.rejected_count} bad row(s); nothing was "
                          "imported")
    elif settings.expected_rows is not None and report.rows != settings.expected_rows:
        report.stopped = (f"the file has {report.rows} rows, not the {settings.expected_rows} "
                          "stated; nothing was imported")
    elif settings.expected_total is not None and \
            report.file_total.get("CNY", 0) != settings.expected_total:
        report.stopped = (f"the file's CNY total is "
                          f"{format_amount(report.file_total.get('CNY', 0), 'CNY')}, not the "
                          f"{format_amount(settings.expected_total, 'CNY')} stated; nothing was "
                          "imported")


def _parse(session: Session, line: int, values: list[str | None], settings: Settings,
           funds: dict[str, Fund | None], *, closed: frozenset[str],
           open_from: date = EARLIEST_DATE) -> tuple:
    """One row as the working table's parsed row, or the reason it is refused.

    ``closed`` holds the closed months (``closed_months``) and ``open_from`` the first day
    after the latest closed year: a row the ledger would refuse to post must be refused
    here, by its line, not sink the whole import at posting."""
    ref, time, amount, currency, donor, code, purpose = ((v or "").strip() for v in values)
    if not ref or len(ref) > 100:
        raise InvalidInput("transaction_id is empty or longer than 100 characters")
    received = _date(time)
    _check_day(time, received, closed, open_from)
    currency, minor = _money(amount, currency)
    if code not in funds:
        funds[code] = session.scalar(select(Fund).where(Fund.code == code))
    fund = funds[code]
    if fund is None:
        raise InvalidInput(f"there is no fund {code!r}")
    if not fund.is_open:
        raise InvalidInput(f"fund {code} is closed")
    if not settings.may_write(fund):
        raise InvalidInput(f"fund {code} is outside your scope")
    if (fund.valid_from and received < fund.valid_from) or \
            (fund.valid_to and received > fund.valid_to):
        raise InvalidInput(f"fund {code} does not accept gifts dated {received}")
    if currency != "CNY" and not _keeps(session, fund, currency, funds):
        raise InvalidInput(f"fund {code} keeps no {currency} accounts; open them first")
    return line, ref, received, minor, currency, fund.id, donor[:200], purpose[:500]


def _check_day(time: str, received: date, closed: frozenset[str], open_from: date) -> None:
    """The ledger's own limits on an entry's date (posting.check_entry_date, the closed
    periods and years), so that a settlement entry for the row can be posted."""
    if received > today():
        raise InvalidInput(f"time {time} is in the future")
    if received < EARLIEST_DATE:
        raise InvalidInput(f"time {time} is before {EARLIEST_DATE}, the ledger's earliest "
                           "date; surely a typing mistake")
    if received < open_from:
        raise InvalidInput(f"time {time} falls in {received.year}, on or before a closed "
                           "year's end")
    if month_of(received) in closed:
        raise InvalidInput(f"time {time} falls in {month_of(received)}, a closed accounting "
                           "period")


def _keeps(session: Session, fund: Fund, currency: str, known: dict) -> bool:
    """Whether the fund has accounts in the currency (every fund keeps CNY)."""
    key = f"{fund.code}\n{currency}"
    if key not in known:
        known[key] = session.scalar(select(Account.id).where(
            Account.code == income_account(fund, currency))) is not None
    return known[key]


_COMMON = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T]\d{2}:\d{2}(:\d{2})?$")


def _date(text: str) -> date:
    common = _COMMON.match(text)
    if common:
        try:
            return date(int(common[1]), int(common[2]), int(common[3]))
        except ValueError:
            pass
    for pattern in _TIME_FORMATS:
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return moment.date()
    if re.match(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}[+-]\d{2}:?\d{2}$", text):
        return datetime.fromisoformat(text).astimezone(LEDGER_TZ).date()
    raise InvalidInput(f"time {text!r} is not a date and time such as 2026-09-09 10:30:00")


def _record(session: Session, actor: Actor, channel: str, report: Report) -> int:
    """Like a platform's settlement, the ledger gets one entry per fund, currency and day
    (Dr clearing / Cr donation income for their sum); every gift is its own donation row
    pointing at that entry, so it can be traced and refunded alone."""
    g = staging.good.c
    groups = session.execute(
        select(g.fund_id, g.currency, g.day, func.count(), func.sum(g.minor), func.min(g.ref),
               func.max(g.ref)).group_by(g.fund_id, g.currency, g.day)
        .order_by(g.fund_id, g.currency, g.day)).all()
    if not groups:
        return 0
    too_big = [g for g in groups if g[4] > MAX_MINOR]
    if too_big:
        report.stopped = (f"the gifts of {too_big[0][2]} add up to more than one entry may "
                          "carry; split the file by day")
        return 0
    entries = post_batch(session, actor, [_settlement(session.get(Fund, fund_id), currency, day,
                                                      gifts, int(total), first, last, channel)
                                          for fund_id, currency, day, gifts, total, first, last
                                          in groups])
    staging.load(session, staging.settlements, [
        (g[0], g[1], g[2], entry.id) for g, entry in zip(groups, entries)])
    now = entries[0].recorded_at
    _donors(session, now)
    recorded = session.execute(text(
        "INSERT INTO donations (donor_id, fund_id, amount, currency, channel, channel_ref, "
        "received_date, purpose, entry_id, refunded, created_at) "
        "SELECT d.donor_id, g.fund_id, g.minor, g.currency, :channel, g.ref, g.day, g.purpose, "
        "s.entry_id, 0, :now FROM import_good g "
        "JOIN import_donors d ON d.name = (CASE WHEN g.donor = '' THEN :anonymous "
        "ELSE g.donor END) "
        "JOIN import_settlements s ON s.fund_id = g.fund_id AND s.currency = g.currency "
        "AND s.day = g.day ORDER BY g.line"),
        {"channel": channel, "now": now, "anonymous": ANONYMOUS}).rowcount
    record(session, actor, "donation.import", "donations", f"{channel}:{groups[0][5]}",
           rows=recorded, entries=[entry.id for entry in entries])
    return recorded


def _settlement(fund: Fund, currency: str, day: date, gifts: int, total: int, first: str,
                last: str, channel: str) -> NewEntry:
    return NewEntry(
        kind="donation", effective_date=day,
        memo=f"{gifts} gift(s) via {channel}, {first} to {last}"[:500],
        external_ref=f"{channel}:{first}"[:100], metadata={"gifts": str(gifts)},
        lines=(Line(money_account(fund, channel, currency), Side.DEBIT, total),
               Line(income_account(fund, currency), Side.CREDIT, total)))


_SAME_DONOR = ("SELECT min(d.id) FROM donors d WHERE d.kind = 'individual' AND d.contact IS NULL "
               "AND d.id_number IS NULL AND d.name = import_donors.name")


def _donors(session: Session, now: datetime) -> None:
    """One donor per platform display name, with nothing more than the name (the platform
    keeps the rest); an empty name is the anonymous donor. Names seen before are reused."""
    session.execute(text(
        "INSERT INTO import_donors (name) SELECT DISTINCT CASE WHEN donor = '' THEN :anonymous "
        "ELSE donor END FROM import_good"), {"anonymous": ANONYMOUS})
    session.execute(text(f"UPDATE import_donors SET donor_id = ({_SAME_DONOR})"))
    session.execute(text(
        "INSERT INTO donors (kind, name, anonymous, created_at) "
        "SELECT 'individual', name, name = :anonymous, :now FROM import_donors "
        "WHERE donor_id IS NULL ORDER BY name"), {"anonymous": ANONYMOUS, "now": now})
    session.execute(text(f"UPDATE import_donors SET donor_id = ({_SAME_DONOR}) "
                         "WHERE donor_id IS NULL"))


@contextmanager
def _import_session(db: Database) -> Iterator[Session]:
    """A session on one connection for the whole import: the working tables are temporary
    tables, which only that connection sees."""
    with db.engine.connect() as connection:
        with Session(bind=connection, expire_on_commit=False) as session:
            yield session
