"""Importing a door-to-door survey file (需求调研) into the needs register.

The file (CSV in UTF-8 or GBK, or XLSX; read by the donations import's row reader) is
read twice, row by row, never whole: first to check every row (with progress), then, in
one transaction, to record the good ones in batches. A row is refused with its line and
reason; a row whose ``survey_ref`` appeared earlier in the file, or is already recorded
for its community, is a duplicate and is skipped, so a file can be imported again after
it is fixed. In strict mode one bad row stops the import and nothing is recorded.

Columns (header names in any order; Chinese aliases in ``ALIASES``): ``community_code``,
``category``, ``people``, ``urgency``, ``estimated_cost``, ``survey_date``; optional
``survey_ref`` and ``note``. Categories and urgencies may be written in Chinese too
(低保对象 …, 危机 / 优先 / 常规). See docs/needs-and-proposals.md and the sample in
docs/samples/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from fundpool import import_jobs
from fundpool.audit.log import Actor, record
from fundpool.db import Database, utcnow
from fundpool.donations.rows import Columns, estimate_rows, read_rows
from fundpool.errors import FundpoolError, InvalidInput
from fundpool.funds.models import CATEGORIES, CATEGORY_NAMES_ZH
from fundpool.ledger.money import format_amount, parse_amount
from fundpool.ledger.posting import today
from fundpool.matching.models import URGENCIES, Need, NeedImportJob
from fundpool.matching.needs import NOTE_MAX, NewNeed, check_need
from fundpool.pools.models import Pool

REQUIRED = ("community_code", "category", "people", "urgency", "estimated_cost", "survey_date")
OPTIONAL = ("survey_ref", "note")
ALIASES = {
    "社区编码": "community_code", "社区代码": "community_code", "社区区划代码": "community_code",
    "服务对象": "category", "对象类别": "category", "类别": "category",
    "人数": "people", "需求人数": "people",
    "紧急程度": "urgency", "响应级别": "urgency",
    "预估费用": "estimated_cost", "预计费用": "estimated_cost", "估算费用": "estimated_cost",
    "调研日期": "survey_date", "走访日期": "survey_date",
    "调研编号": "survey_ref", "走访编号": "survey_ref", "编号": "survey_ref",
    "备注": "note", "需求描述": "note",
}
COLUMNS = Columns(REQUIRED, OPTIONAL, REQUIRED + OPTIONAL, ALIASES)
CATEGORY_WORDS = {**{c: c for c in CATEGORIES}, **{zh: c for c, zh in CATEGORY_NAMES_ZH.items()}}
URGENCY_WORDS = {**{u: u for u in URGENCIES}, "危机": "crisis", "一级": "crisis",
                 "优先": "priority", "重点": "priority", "二级": "priority",
                 "常规": "routine", "一般": "routine", "三级": "routine"}
REPORT_LIMIT = 10_000  # rejected and duplicate rows listed in a report, each
PROGRESS_EVERY = 1_000
BATCH = 500


@dataclass(frozen=True, slots=True)
class Settings:
    strict: bool = False
    may_write: Callable[[Pool], bool] = lambda pool: True
    job_id: int | None = None  # the job the needs are recorded under, if any


@dataclass
class Report:
    """What an import did (or, stopped, would have done). The lists hold the first
    REPORT_LIMIT rows of each kind, in file order; the counts are complete."""

    rows: int = 0
    imported: int = 0
    people: int = 0
    estimated_cost: int = 0  # CNY fen, of the needs recorded
    rejected: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    rejected_count: int = 0
    duplicate_count: int = 0
    stopped: str | None = None

    @property
    def committed(self) -> bool:
        return self.stopped is None

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < REPORT_LIMIT:
            self.rejected.append((line, reason))

    def duplicate(self, line: int, reason: str) -> None:
        self.duplicate_count += 1
        if len(self.duplicates) < REPORT_LIMIT:
            self.duplicates.append((line, reason))


def import_needs(db: Database, actor: Actor, path: Path, settings: Settings = Settings(),
                 progress: Callable[[int, int], None] = lambda done, total: None,
                 recording: Callable[[], None] = lambda: None) -> Report:
    """Check the whole file (``progress`` hears of rows checked), then (``recording`` is
    told first) record its good rows in one transaction."""
    on = today()
    with db.sessions() as session:
        checked = _pass(session, actor, path, settings, on, write=False, progress=progress)
    if settings.strict and checked.rejected_count:
        return _stopped(checked)
    recording()
    with db.sessions() as session:
        _take_turns(session)
        report = _pass(session, actor, path, settings, on, write=True)
        if settings.strict and report.rejected_count:  # the register changed in between
            session.rollback()
            return _stopped(report)
        record(session, actor, "need.import", "need_import", settings.job_id or path.name,
               file=path.name, rows=report.rows, imported=report.imported,
               rejected=report.rejected_count, duplicates=report.duplicate_count)
        session.commit()
    progress(report.rows, report.rows)
    return report


def _take_turns(session: Session) -> None:
    """Imports record one at a time, until their commit: two at once (the same file sent
    twice) would each find its rows not yet recorded, and the second would fail whole on
    the unique survey_ref instead of reporting them as duplicates. On PostgreSQL an
    advisory lock; SQLite's one writer already takes turns."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('fundpool.needs.import'))"))


def _stopped(report: Report) -> Report:
    report.stopped = f"strict mode: {report.rejected_count} bad row(s); nothing was imported"
    report.imported = report.people = report.estimated_cost = 0
    return report


def _pass(session: Session, actor: Actor, path: Path, settings: Settings, on: date, *,
          write: bool, progress: Callable[[int, int], None] = lambda done, total: None) -> Report:
    report = Report()
    estimate = estimate_rows(path) if not write else 0
    pools: dict[str, Pool | None] = {}
    seen: set[tuple[int, str]] = set()
    batch: list[tuple[int, NewNeed, Pool]] = []
    for line, values in read_rows(path, COLUMNS):
        report.rows += 1
        if not write and report.rows % PROGRESS_EVERY == 0:
            session.commit()  # end the read: SQLite's one writer must be free for progress
            progress(report.rows, max(estimate, report.rows))
        try:
            new, pool = _parse(session, values, settings, pools, on)
        except FundpoolError as exc:
            report.reject(line, _reason(exc))
            continue
        if new.survey_ref is not None:
            if (pool.id, new.survey_ref) in seen:
                report.duplicate(line, f"survey_ref {new.survey_ref} of community {pool.code} "
                                       "appears earlier in the file")
                continue
            seen.add((pool.id, new.survey_ref))
        batch.append((line, new, pool))
        if len(batch) >= BATCH:
            _settle(session, actor, batch, report, settings, write)
            batch = []
    _settle(session, actor, batch, report, settings, write)
    report.duplicates.sort()
    return report


def _settle(session: Session, actor: Actor, batch: list[tuple[int, NewNeed, Pool]],
            report: Report, settings: Settings, write: bool) -> None:
    """Set aside the batch's rows already recorded; record the rest if ``write``."""
    refs = {new.survey_ref for _, new, _ in batch if new.survey_ref is not None}
    recorded = {(pool_id, ref) for pool_id, ref in session.execute(
        select(Need.pool_id, Need.survey_ref).where(Need.survey_ref.in_(refs)))} if refs else set()
    rows = []
    now = utcnow()
    for line, new, pool in batch:
        if (pool.id, new.survey_ref) in recorded:
            report.duplicate(line, f"survey_ref {new.survey_ref} of community {pool.code} is "
                                   "already recorded")
            continue
        report.imported += 1
        report.people += new.people
        report.estimated_cost += new.estimated_cost
        rows.append({"pool_id": pool.id, "category": new.category, "people": new.people,
                     "urgency": new.urgency, "estimated_cost": new.estimated_cost,
                     "survey_date": new.survey_date, "survey_ref": new.survey_ref,
                     "note": new.note, "status": "open", "import_job_id": settings.job_id,
                     "created_by": actor.name, "created_at": now, "status_changed_at": now})
    if write and rows:
        session.execute(insert(Need), rows)


def _parse(session: Session, values: tuple[str, ...], settings: Settings,
           pools: dict[str, Pool | None], on: date) -> tuple[NewNeed, Pool]:
    """One row as a need and its community, or the reason it is refused."""
    code, category, people, urgency, cost, day, ref, note = (v.strip() for v in values)
    if code not in pools:
        pools[code] = session.scalar(select(Pool).where(Pool.code == code)) if code else None
    pool = pools[code]
    if pool is None:
        raise InvalidInput(f"there is no community {code!r}" if code
                           else "community_code is empty")
    if not settings.may_write(pool):
        raise InvalidInput(f"community {code} is outside your scope")
    category = category if category in CATEGORY_WORDS else category.lower()
    if category not in CATEGORY_WORDS:
        raise InvalidInput(f"unknown category {category!r}; use one of {', '.join(CATEGORIES)} "
                           "or its Chinese name")
    if urgency.lower() not in URGENCY_WORDS:
        raise InvalidInput(f"unknown urgency {urgency!r}; use crisis / priority / routine "
                           "(危机 / 优先 / 常规)")
    if not re.fullmatch(r"\d{1,7}(\.0+)?", people):
        raise InvalidInput(f"people {people!r} is not a whole number")
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"note is longer than {NOTE_MAX} characters")
    new = NewNeed(pool_code=code, category=CATEGORY_WORDS[category], people=int(float(people)),
                  urgency=URGENCY_WORDS[urgency.lower()],
                  estimated_cost=parse_amount(cost, "CNY", "estimated_cost"),
                  survey_date=_date(day), note=note, survey_ref=ref or None)
    check_need(new, pool, on)
    return new, pool


def _reason(error: FundpoolError) -> str:
    """The error's message, led by the column it is about unless it names it already."""
    if error.field is None or error.field in error.message:
        return error.message
    return f"{error.field}: {error.message}"


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?$")


def _date(text: str) -> date:
    found = _DATE.match(text)
    if found:
        try:
            return date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            pass
    raise InvalidInput(f"survey_date {text!r} is not a date such as 2026-11-02")


def run_job(db: Database, actor: Actor, job_id: int, path: Path, settings: Settings) -> None:
    """Import ``path`` as job ``job_id``; never raises (``fundpool.import_jobs`` runs it)."""
    def work(job: import_jobs.Update) -> dict:
        report = import_needs(
            db, actor, path, settings,
            progress=lambda done, total: job(rows_done=done, rows_total=total),
            recording=lambda: job(status="importing"))
        return import_jobs.outcome(report, people=report.people,
                                   estimated_cost=format_amount(report.estimated_cost, "CNY"))
    import_jobs.run(db, NeedImportJob, job_id, path, work)


