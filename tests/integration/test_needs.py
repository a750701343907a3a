"""The needs register over a real database: rules, listing, the status graph, and the survey
import (streamed, reported by line, strict mode, UTF-8/GBK/XLSX, CLI)."""

from datetime import date, timedelta
from itertools import product
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fundpool.audit.models import AuditEvent
from fundpool.errors import Conflict, InvalidInput, NotFound
from fundpool.ledger.posting import today
from fundpool.ledger.queries import CodeRange
from fundpool.matching import needs
from fundpool.matching.lifecycle import IllegalTransition
from fundpool.matching.models import NEED_STATUSES, Need
from fundpool.matching.survey import Settings, import_needs
from tests.factories import ACTOR

BINHE, NANHUA, BAIHUA = "440304001001", "440304001002", "440304002001"


def new(**changes) -> needs.NewNeed:
    values = dict(pool_code=BINHE, category="elderly_in_difficulty", people=12,
                  urgency="priority", estimated_cost=36_000_00, survey_date=date(2026, 11, 2),
                  note="独居老人助餐", survey_ref=None)
    return needs.NewNeed(**{**values, **changes})


def create(db, **changes) -> int:
    with db.transaction() as session:
        return needs.create_need(session, ACTOR, new(**changes)).id


def test_a_need_is_recorded_open_with_its_audit_event(db, shenzhen):
    need_id = create(db, survey_ref="NY-2026-001")
    with db.sessions() as session:
        need = needs.get_need(session, need_id)
        assert (need.pool.code, need.status, need.people, need.estimated_cost) == (
            BINHE, "open", 12, 36_000_00)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "need.create")).one()
        assert event.target_id == str(need_id)
        assert event.details["survey_ref"] == "NY-2026-001"


@pytest.mark.parametrize("changes, error, field", [
    ({"pool_code": "440304001"}, InvalidInput, "pool_code"),  # a street, not a community
    ({"pool_code": "440304"}, InvalidInput, "pool_code"),
    ({"pool_code": "440304001009"}, NotFound, "pool_code"),
    ({"category": "pets"}, InvalidInput, "category"),
    ({"urgency": "someday"}, InvalidInput, "urgency"),
    ({"people": 0}, InvalidInput, "people"),
    ({"people": -3}, InvalidInput, "people"),
    ({"estimated_cost": 0}, InvalidInput, "estimated_cost"),
    ({"survey_date": today() + timedelta(days=1)}, InvalidInput, "survey_date"),
    ({"note": "长" * 1001}, InvalidInput, "note"),
])
def test_bad_needs_are_refused_naming_the_field(db, shenzhen, snapshot, changes, error, field):
    before = snapshot()
    with pytest.raises(error) as raised:
        create(db, **changes)
    assert raised.value.field == field
    assert snapshot() == before


def test_a_closed_community_takes_no_needs(db, shenzhen):
    from fundpool.pools.service import close_pool
    with db.transaction() as session:
        close_pool(session, ACTOR, BAIHUA)
    with pytest.raises(Conflict, match="closed"):
        create(db, pool_code=BAIHUA)


def test_a_survey_ref_is_unique_per_community(db, shenzhen):
    create(db, survey_ref="S-1")
    create(db, pool_code=NANHUA, survey_ref="S-1")
    with pytest.raises(Conflict) as raised:
        create(db, survey_ref="S-1")
    assert raised.value.field == "survey_ref"


def test_listing_filters_and_pages(db, shenzhen):
    made = [create(db, pool_code=pool, category=category, urgency=urgency)
            for pool, category, urgency in product(
                (BINHE, NANHUA, BAIHUA), ("elderly_in_difficulty", "disability"),
                ("crisis", "routine"))]
    with db.sessions() as session:
        street = CodeRange("440304001", "440304001999")
        ids = [n.id for n in needs.list_needs(session, within=street, limit=100).items]
        assert len(ids) == 8 and ids == sorted(ids)
        crisis = needs.list_needs(session, urgency="crisis", category="disability").items
        assert {n.pool.code for n in crisis} == {BINHE, NANHUA, BAIHUA}
        seen, after = [], None
        while True:
            page = needs.list_needs(session, after=after, limit=5)
            seen += [n.id for n in page.items]
            if page.next_after is None:
                break
            after = page.next_after
        assert seen == made


ALLOWED = {("open", "matched"), ("open", "closed"), ("matched", "served"), ("matched", "open"),
           ("served", "closed")}


def test_the_status_graph_is_exactly_the_documented_one():
    assert {(a, b) for a, nexts in needs.TRANSITIONS.items() for b in nexts} == ALLOWED
    assert set(needs.TRANSITIONS) == set(NEED_STATUSES)


@pytest.mark.parametrize("current, requested",
                         sorted(set(product(NEED_STATUSES, NEED_STATUSES)) - ALLOWED))
def test_every_illegal_status_change_is_refused(db, shenzhen, current, requested):
    need_id = create(db)
    with db.transaction() as session:
        session.get(Need, need_id).status = current
    with pytest.raises(IllegalTransition) as raised, db.transaction() as session:
        needs.change_status(session, ACTOR, need_id, requested)
    assert (raised.value.current, raised.value.requested) == (current, requested)
    assert f"is {current}; it cannot become {requested}" in raised.value.message
    with db.sessions() as session:
        assert session.get(Need, need_id).status == current


def test_legal_status_changes_are_recorded(db, shenzhen):
    need_id = create(db)
    for status in ("matched", "served", "closed"):
        with db.transaction() as session:
            needs.change_status(session, ACTOR, need_id, status, reason="上门服务完成")
    with db.sessions() as session:
        assert session.get(Need, need_id).status == "closed"
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "need.status")) == 3


def test_an_unknown_status_is_invalid_input(db, shenzhen):
    need_id = create(db)
    with pytest.raises(InvalidInput) as raised, db.transaction() as session:
        needs.change_status(session, ACTOR, need_id, "lost")
    assert raised.value.field == "status"


# The survey import ---------------------------------------------------------------------

SAMPLE = Path(__file__).parents[2] / "docs" / "samples" / "needs-survey-440304001.csv"
HEADER = "survey_ref,community_code,category,people,urgency,estimated_cost,survey_date,note\n"


def write(tmp_path, body, name="survey.csv", encoding="utf-8", header=HEADER):
    path = tmp_path / name
    path.write_bytes((header + body).encode(encoding))
    return path


def count(db, **where):
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Need).filter_by(**where))


def test_the_sample_survey_imports_and_a_rerun_only_finds_duplicates(db, shenzhen):
    report = import_needs(db, ACTOR, SAMPLE)
    assert (report.rows, report.imported, report.rejected_count) == (10, 10, 0)
    assert (report.people, report.estimated_cost) == (236, 329_500_00)
    with db.sessions() as session:
        crisis = needs.list_needs(session, urgency="crisis").items
        assert [(n.survey_ref, n.pool.code, n.category, n.people) for n in crisis] == [
            ("NY-2026-0002", BINHE, "disability", 6),
            ("NY-2026-0007", NANHUA, "extreme_poverty", 3)]
        assert session.scalars(select(AuditEvent.details).where(
            AuditEvent.action == "need.import")).one()["imported"] == 10
    again = import_needs(db, ACTOR, SAMPLE)
    assert (again.imported, again.duplicate_count) == (0, 10)
    assert again.duplicates[0] == (2, "survey_ref NY-2026-0001 of community 440304001001 is "
                                      "already recorded")
    assert count(db) == 10


def test_bad_rows_are_reported_by_line_and_the_rest_imported(db, shenzhen, tmp_path):
    future = (today() + timedelta(days=3)).isoformat()
    path = write(tmp_path, "\n".join([
        f"A-1,{BINHE},残疾人,4,危机,8000.00,2026-11-01,ok",           # 2
        f"A-2,440304001,残疾人,4,危机,8000.00,2026-11-01,a street",   # 3
        f"A-3,{BINHE},宠物,4,危机,8000.00,2026-11-01,",               # 4
        f"A-4,{BINHE},残疾人,four,危机,8000.00,2026-11-01,",          # 5
        f"A-5,{BINHE},残疾人,4,马上,8000.00,2026-11-01,",             # 6
        f"A-6,{BINHE},残疾人,4,危机,0,2026-11-01,",                   # 7
        f"A-7,{BINHE},残疾人,4,危机,8000.00,{future},",               # 8
        f"A-8,{BINHE},残疾人,4,危机,8000.00,11/01/2026,",             # 9
        f"A-1,{BINHE},残疾人,4,危机,8000.00,2026-11-01,again",        # 10
        f"A-1,{NANHUA},disability,0,crisis,8000.00,2026-11-01,",      # 11
        f"A-9,440304009009,残疾人,4,危机,8000.00,2026-11-01,",        # 12
        f"B-1,{NANHUA},特殊困难老人,2,一级,1500.5,2026年11月3日,"]) + "\n")  # 13
    report = import_needs(db, ACTOR, path)
    assert report.imported == 2
    reasons = dict(report.rejected)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 11, 12]
    assert "is a street; a need belongs to a community" in reasons[3]
    assert "unknown category '宠物'" in reasons[4]
    assert "people 'four' is not a whole number" in reasons[5]
    assert "unknown urgency '马上'" in reasons[6]
    assert reasons[7] == "estimated_cost: amounts must be greater than zero"
    assert "is in the future" in reasons[8]
    assert "is not a date" in reasons[9]
    assert "people must be a whole number above 0" in reasons[11]
    assert "there is no community '440304009009'" in reasons[12]
    assert report.duplicates == [(10, "survey_ref A-1 of community 440304001001 appears "
                                      "earlier in the file")]
    with db.sessions() as session:
        elder = session.scalars(select(Need).where(Need.survey_ref == "B-1")).one()
        assert (elder.urgency, elder.estimated_cost, elder.survey_date) == (
            "crisis", 1500_50, date(2026, 11, 3))


def test_strict_mode_imports_nothing_if_any_row_is_bad(db, shenzhen, tmp_path, snapshot):
    path = write(tmp_path, f"S-1,{BINHE},残疾人,4,危机,8000.00,2026-11-01,\n"
                           f"S-2,{BINHE},残疾人,-4,危机,8000.00,2026-11-01,\n")
    before = snapshot()
    report = import_needs(db, ACTOR, path, Settings(strict=True))
    assert report.stopped == "strict mode: 1 bad row(s); nothing was imported"
    assert report.rejected == [(3, "people '-4' is not a whole number")]
    assert snapshot() == before


def test_gbk_and_chinese_headers_are_read(db, shenzhen, tmp_path):
    path = write(tmp_path, f"{BINHE},留守儿童,5,常规,2500.00,2026/11/02,暑期陪伴\n",
                 encoding="gbk", header="社区编码,服务对象,人数,紧急程度,预估费用,调研日期,备注\n")
    report = import_needs(db, ACTOR, path)
    assert report.imported == 1, report.rejected
    with db.sessions() as session:
        need = session.scalars(select(Need)).one()
        assert (need.category, need.note, need.survey_ref) == (
            "left_behind_children", "暑期陪伴", None)


def test_xlsx_files_are_read(db, shenzhen, tmp_path):
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(["调研编号", "社区编码", "服务对象", "人数", "紧急程度", "预估费用", "调研日期"])
    sheet.append(["X-1", BINHE, "低保对象", 7, "优先", 4200, date(2026, 10, 30)])
    sheet.append(["X-2", NANHUA, "single_mothers", 3.0, "routine", "900.50", "2026-10-31"])
    path = tmp_path / "survey.xlsx"
    book.save(path)
    report = import_needs(db, ACTOR, path)
    assert (report.imported, report.rejected) == (2, [])
    assert report.estimated_cost == 4200_00 + 900_50


def test_rows_outside_the_importers_scope_are_rejected(db, shenzhen, tmp_path):
    path = write(tmp_path, f"O-1,{BINHE},残疾人,4,危机,8000.00,2026-11-01,\n"
                           f"O-2,{BAIHUA},残疾人,4,危机,8000.00,2026-11-01,\n")
    report = import_needs(db, ACTOR, path, Settings(
        may_write=lambda pool: pool.code.startswith("440304001")))
    assert report.imported == 1
    assert report.rejected == [(3, f"community {BAIHUA} is outside your scope")]


def test_a_file_without_the_columns_is_refused_whole(db, shenzhen, tmp_path):
    path = write(tmp_path, "1,2\n", header="编号,钱\n")
    with pytest.raises(InvalidInput, match="lacks the column"):
        import_needs(db, ACTOR, path)
    assert count(db) == 0


def test_the_cli_imports_a_survey(db, shenzhen, database_url, tmp_path):
    from click.testing import CliRunner

    from fundpool.cli import main
    env = {"FUNDPOOL_DATABASE_URL": database_url, "FUNDPOOL_INSTANCE_FOLDER": str(tmp_path),
           "FUNDPOOL_LOG_LEVEL": "WARNING"}
    result = CliRunner().invoke(main, ["import", "needs", str(SAMPLE)], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "10 of 10 rows imported (236 people, estimated 329500.00 CNY)" in result.output
    bad = write(tmp_path, f"C-1,{BINHE},残疾人,4,危机,8000.00,2026-11-01,\n"
                          f"C-2,{BINHE},残疾人,4,危机,8000.00,someday,\n")
    strict = CliRunner().invoke(main, ["import", "needs", "--strict", str(bad)], env=env,
                                catch_exceptions=False)
    assert strict.exit_code == 1
    assert "STOPPED: strict mode" in strict.output
    assert "line 3: survey_date 'someday' is not a date" in strict.output
    assert count(db) == 10


def test_a_job_reports_progress_while_it_checks_a_large_file(db, shenzhen, tmp_path,
                                                             monkeypatch):
    """Progress is written from another connection while the file is checked: the check
    holds no write lock meanwhile (SQLite has one writer)."""
    from fundpool.matching import survey
    from fundpool.matching.models import NeedImportJob
    rows = 2_500
    path = write(tmp_path, "".join(f"L-{n},{BINHE},残疾人,1,常规,10.00,2026-11-01,\n"
                                   for n in range(rows)))
    with db.transaction() as session:
        job = NeedImportJob(file_name=path.name, strict=False, created_by="test")
        session.add(job)
        session.flush()
        job_id = job.id
    from fundpool import import_jobs
    seen, real = [], import_jobs.save
    monkeypatch.setattr(import_jobs, "save", lambda database, model, job, **values: (
        seen.append(values), real(database, model, job, **values)))
    survey.run_job(db, ACTOR, job_id, path, Settings(job_id=job_id))
    with db.sessions() as session:
        done = session.get(NeedImportJob, job_id)
        assert (done.status, done.imported, done.rows_done) == ("done", rows, rows), done.message
    assert {"rows_done": 1_000, "rows_total": rows} in seen
    assert count(db, import_job_id=job_id) == rows


@pytest.mark.postgres
def test_two_imports_of_one_survey_at_once_record_each_need_once(db, shenzhen, tmp_path):
    """The same file uploaded twice at once (a double click, two admins of one street):
    one import records the needs, the other reports them as duplicates; neither fails."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier
    path = write(tmp_path, "".join(f"NY-{n},{BINHE},elderly_in_difficulty,2,routine,100.00,"
                                   "2026-11-02,\n" for n in range(2_000)))
    start = Barrier(2)

    def run(_):
        start.wait()
        return import_needs(db, ACTOR, path)
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(run, range(2)))
    assert sorted(r.imported for r in reports) == [0, 2_000]
    assert sorted(r.duplicate_count for r in reports) == [0, 2_000]
    assert count(db) == 2_000
