"""Importing a platform donations file: streamed, checked, deduplicated, all or nothing."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from fundpool.audit.log import Actor
from fundpool.donations.importer import Settings, import_donations
from fundpool.donations.models import Donation
from fundpool.errors import InvalidInput
from fundpool.funds.service import NewFund, Restriction, create_fund
from fundpool.ledger.balances import current
from fundpool.ledger.verify import verify

SAMPLE = Path(__file__).parents[2] / "docs" / "samples" / "giving-day-2026-09-09.csv"
ACTOR = Actor("import")
HEADER = "transaction_id,time,amount,donor_name,fund_code,purpose\n"


@pytest.fixture
def elder(db, shenzhen):
    with db.transaction() as session:
        create_fund(session, ACTOR, NewFund(
            code="ELDER-440304001", name="助老基金", kind="special", pool_code="440304001",
            restricted=True, restriction=Restriction(categories=("elderly_in_difficulty",))))


def count(db):
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Donation))


def clearing(db, fund):
    with db.sessions() as session:
        return current(session, f"{fund}:1009:CNY").balance


def test_the_sample_file_imports_and_a_rerun_only_finds_duplicates(db, elder):
    report = import_donations(db, ACTOR, SAMPLE, Settings())
    assert (report.rows, report.imported, report.rejected) == (5, 5, [])
    assert report.total == {"CNY": 1_000 + 9_999 + 100 + 50_000 + 99}
    assert clearing(db, "440304001") == 1_000 + 100 + 99
    assert clearing(db, "ELDER-440304001") == 9_999 + 50_000
    again = import_donations(db, ACTOR, SAMPLE, Settings())
    assert (again.imported, len(again.duplicates)) == (0, 5)
    assert count(db) == 5
    with db.sessions() as session:
        assert verify(session).ok


def write(tmp_path, body, name="file.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def test_gbk_files_are_read(db, elder, tmp_path):
    path = write(tmp_path, "G-1,2026-09-09 10:00:00,5.00,张三,440304001,公益\n", encoding="gbk")
    assert import_donations(db, ACTOR, path, Settings()).imported == 1


def test_a_gbk_file_whose_first_64_kib_are_ascii_is_read(db, elder, tmp_path):
    """The encoding is decided on the whole file: a GBK name far down must not sink it."""
    ascii_rows = "".join(f"G-{n},2026-09-09 10:00:00,1.00,donor {n},440304001,\n"
                         for n in range(2000))
    path = write(tmp_path, ascii_rows + "G-LAST,2026-09-09 10:00:00,1.00,张三,440304001,\n",
                 encoding="gbk")
    assert path.stat().st_size > 1 << 16
    report = import_donations(db, ACTOR, path, Settings())
    assert (report.imported, report.rejected) == (2001, [])
    with db.sessions() as session:
        assert session.scalar(select(Donation.purpose).where(Donation.channel_ref == "G-LAST")) \
            == ""


def test_a_small_gbk_file_whose_only_chinese_ends_it_is_read(db, elder, tmp_path):
    """Its last bytes are not a UTF-8 character cut off by a sample: the file is GBK."""
    path = write(tmp_path, "G-1,2026-09-09 10:00:00,5.00,someone,440304001,善", encoding="gbk")
    assert import_donations(db, ACTOR, path, Settings()).imported == 1
    with db.sessions() as session:
        assert session.scalars(select(Donation.purpose)).all() == ["善"]


def test_a_file_neither_utf8_nor_gbk_is_refused(db, elder, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(HEADER.encode() + b"X-1,2026-09-09 10:00:00,5.00,\xff\xfe,440304001,\n")
    with pytest.raises(InvalidInput, match="neither UTF-8 nor GBK"):
        import_donations(db, ACTOR, path, Settings())


def test_bad_rows_are_reported_by_line_and_the_rest_imported(db, elder, tmp_path):
    path = write(tmp_path, "\n".join([
        "B-1,2026-09-09 10:00:00,5.00,张三,440304001,",
        "B-2,yesterday,5.00,张三,440304001,",
        "B-3,2026-09-09 10:00:00,5.001,张三,440304001,",
        "B-4,2026-09-09 10:00:00,5.00,张三,NOPE,",
        "B-1,2026-09-09 10:00:00,5.00,张三,440304001,",
        "B-5,2099-01-01 10:00:00,5.00,张三,440304001,"]) + "\n")
    report = import_donations(db, ACTOR, path, Settings())
    assert report.imported == 1
    assert [line for line, _ in report.rejected] == [3, 4, 5, 7]
    assert "not a date and time" in report.rejected[0][1]
    assert "2 decimal places" in report.rejected[1][1]
    assert "no fund 'NOPE'" in report.rejected[2][1]
    assert report.duplicates == [(6, "transaction B-1 appears earlier in the file")]


def test_a_row_with_a_multi_line_cell_is_reported_at_the_line_it_starts_on(db, elder,
                                                                           tmp_path):
    """The header is line 1; M-1 starts on line 2 and ends on 3; M-2 is on line 4."""
    path = write(tmp_path, 'M-1,2026-09-09 10:00:00,5.001,张三,440304001,"99公益日\n助老"\n'
                           "M-2,2026-09-09 10:00:00,bad,李四,440304001,\n"
                           '"M-\r\n3",2026-09-09 10:00:00,5.00,王五,NOPE,\n')
    report = import_donations(db, ACTOR, path, Settings())
    assert [line for line, _ in report.rejected] == [2, 4, 5]


def test_strict_mode_imports_nothing_if_any_row_is_bad(db, elder, tmp_path):
    path = write(tmp_path, "S-1,2026-09-09 10:00:00,5.00,a,440304001,\n"
                           "S-2,2026-09-09 10:00:00,-5.00,b,440304001,\n")
    report = import_donations(db, ACTOR, path, Settings(strict=True))
    assert report.stopped.startswith("strict mode: 1 bad row")
    assert count(db) == 0


def test_stated_count_and_total_must_match_before_anything_is_written(db, elder):
    wrong_rows = import_donations(db, ACTOR, SAMPLE, Settings(expected_rows=6))
    assert "has 5 rows, not the 6 stated" in wrong_rows.stopped
    wrong_total = import_donations(db, ACTOR, SAMPLE, Settings(expected_total=100))
    assert "CNY total is 611.98, not the 1.00 stated" in wrong_total.stopped
    assert count(db) == 0
    right = import_donations(db, ACTOR, SAMPLE, Settings(expected_rows=5, expected_total=61_198))
    assert right.imported == 5


def test_the_stated_total_is_the_whole_files_even_when_some_rows_are_rejected(db, elder,
                                                                             tmp_path):
    """expect_rows counts every row of the file; expect_total sums every amount that reads
    (a row rejected for its fund, date or id still counts), so its message is true."""
    path = write(tmp_path, "E-1,2026-09-09 10:00:00,5.00,张三,440304001,\n"
                           "E-2,2026-09-09 10:00:00,7.00,李四,ELDER-440304001,\n"
                           "E-3,1999-09-09 10:00:00,1.00,王五,440304001,\n"
                           "E-4,2026-09-09 10:00:00,nothing,赵六,440304001,\n")
    in_scope = Settings(expected_rows=4, expected_total=1_300,
                        may_write=lambda fund: fund.code == "440304001")
    report = import_donations(db, ACTOR, path, in_scope)
    assert report.stopped is None, report.stopped
    assert (report.imported, report.rejected_count, report.file_total) == (1, 3, {"CNY": 1_300})
    wrong = import_donations(db, ACTOR, path, Settings(expected_total=500))
    assert "CNY total is 13.00, not the 5.00 stated" in wrong.stopped


def test_a_file_is_never_imported_as_gifts_in_kind(db, elder):
    with pytest.raises(InvalidInput, match="channel must be one of") as refused:
        import_donations(db, ACTOR, SAMPLE, Settings(channel="in_kind"))
    assert refused.value.field == "channel"
    assert count(db) == 0


def test_xlsx_files_are_read(db, elder, tmp_path):
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["交易号", "时间", "金额", "捐赠人", "基金编号"])
    sheet.append(["X-1", "2026-09-09 09:09:09", 12.5, "李四", "440304001"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    report = import_donations(db, ACTOR, path, Settings())
    assert report.imported == 1
    assert report.total == {"CNY": 1_250}


def test_a_file_without_the_columns_is_refused(db, elder, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("id,money\n1,2\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="lacks the column"):
        import_donations(db, ACTOR, path, Settings())


def test_funds_outside_the_importers_scope_are_rejected(db, elder):
    report = import_donations(db, ACTOR, SAMPLE, Settings(
        may_write=lambda fund: fund.code.startswith("ELDER")))
    assert report.imported == 2
    assert all("outside your scope" in reason for _, reason in report.rejected)


def test_imported_gifts_share_a_settlement_entry_and_refund_alone(db, elder):
    from fundpool.donations.service import refund
    import_donations(db, ACTOR, SAMPLE, Settings())
    with db.sessions() as session:
        gifts = session.scalars(select(Donation).order_by(Donation.id)).all()
        general = [g for g in gifts if g.fund.code == "440304001"]
        assert len({g.entry_id for g in general}) == 1
    with db.transaction() as session:
        refund(session, ACTOR, general[0].id, 1_000, "平台退款")
    assert clearing(db, "440304001") == 100 + 99
    with db.sessions() as session:
        assert verify(session).ok


# Values in the common shape (parsed in SQL on PostgreSQL) and around it (parsed in Python).
TRICKY = [
    ("T-01", "2026-09-09 10:00:00", "5.00", "", "440304001"),
    ("T-02", "2026-09-09 10:00", "5", "CNY", "440304001"),
    ("T-03", "2026-09-09T10:00:00", "0.01", "cny", "ELDER-440304001"),
    ("T-04", " 2026-09-09 10:00:00 ", " 7.5 ", "", " 440304001 "),
    ("T-05", "2026/09/09 10:00:00", "5.00", "", "440304001"),
    ("T-06", "2026-09-09", "5.00", "", "440304001"),
    ("T-07", "2026-09-09 10:00:00+08:00", "5.00", "", "440304001"),
    ("T-08", "2026-02-30 10:00:00", "5.00", "", "440304001"),
    ("T-09", "2026-13-01 10:00:00", "5.00", "", "440304001"),
    ("T-10", "0000-01-01 10:00:00", "5.00", "", "440304001"),
    ("T-11", "2099-01-01 10:00:00", "5.00", "", "440304001"),
    ("T-12", "2026-09-09 10:00:00", "0.00", "", "440304001"),
    ("T-13", "2026-09-09 10:00:00", "5.001", "", "440304001"),
    ("T-14", "2026-09-09 10:00:00", "-5.00", "", "440304001"),
    ("T-15", "2026-09-09 10:00:00", "1e3", "", "440304001"),
    ("T-16", "2026-09-08 10:00:00", "999999999999.99", "", "ELDER-440304001"),
    ("T-17", "2026-09-09 10:00:00", "1000000000000000", "", "440304001"),
    ("T-18", "2026-09-09 10:00:00", "500", "JPY", "440304001"),
    ("T-19", "2026-09-09 10:00:00", "5.5", "JPY", "440304001"),
    ("T-20", "2026-09-09 10:00:00", "5.00", "XYZ", "440304001"),
    ("T-21", "2026-09-09 10:00:00", "5.00", "", "NOPE"),
    ("", "2026-09-09 10:00:00", "5.00", "", "440304001"),
    ("T-" + "x" * 100, "2026-09-09 10:00:00", "5.00", "", "440304001"),
    ("T-24", "2026-09-09 10:00:00", "５.00", "", "440304001"),
    ("T-25", "2024-02-29 10:00:00", "5.00", "", "440304001"),
    ("T-26", "2026-09-09 10:00:00", "5.00", "", "440304001"),
    ("T-27", "1999-12-31 10:00:00", "5.00", "", "440304001"),
    ("T-26", "2026-09-10 10:00:00", "6.00", "", "440304001"),
]


def test_the_sql_fast_path_and_the_python_parser_agree(db, elder, tmp_path):
    """Whichever path parses a row, it is accepted or refused as the Python parser alone
    would, with the same amount, currency and date."""
    from fundpool.donations.importer import _parse
    lines = ["transaction_id,time,amount,currency,donor_name,fund_code,purpose"]
    lines += [f'"{ref}","{time}","{amount}","{currency}",某人,"{fund}",' for ref, time, amount,
              currency, fund in TRICKY]
    path = tmp_path / "tricky.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected, reasons = {}, {}
    with db.sessions() as session:
        for line, (ref, time, amount, currency, fund) in enumerate(TRICKY, start=2):
            try:
                row = _parse(session, line, [ref, time, amount, currency, "某人", fund, ""],
                             Settings(), {}, closed=frozenset())
                expected.setdefault(row[1], (row[2], row[3], row[4]))
            except InvalidInput as exc:
                reasons[line] = exc.message
    report = import_donations(db, ACTOR, path, Settings())
    assert dict(report.rejected) == reasons
    assert [line for line, _ in report.duplicates] == [len(TRICKY) + 1]
    with db.sessions() as session:
        stored = {d.channel_ref: (d.received_date, d.amount, d.currency)
                  for d in session.scalars(select(Donation))}
    assert stored == expected
    assert {"T-01", "T-03", "T-04", "T-16", "T-25"} <= stored.keys()
    assert "keeps no JPY accounts" in reasons[19]


def test_a_row_dated_before_2000_is_rejected_by_line_not_the_whole_import(db, elder, tmp_path):
    """One mistyped year (1999 for 2026) is a bad row; the ledger would refuse its entry."""
    path = write(tmp_path, "A-1,2026-09-09 10:00:00,5.00,张三,440304001,\n"
                           "A-2,1999-09-09 10:00:00,5.00,李四,440304001,\n")
    report = import_donations(db, ACTOR, path, Settings())
    assert report.imported == 1
    assert report.rejected == [(3, "time 1999-09-09 10:00:00 is before 2000-01-01, the "
                                   "ledger's earliest date; surely a typing mistake")]
    assert count(db) == 1


def test_a_row_dated_in_a_closed_month_is_rejected_by_line_not_the_whole_import(db, elder,
                                                                               tmp_path):
    from fundpool.ledger.periods import close_period
    from fundpool.ledger.posting import today
    with db.transaction() as session:
        close_period(session, ACTOR, "2026-08", today())
    path = write(tmp_path, "C-1,2026-09-09 10:00:00,5.00,张三,440304001,\n"
                           "C-2,2026-08-31 10:00:00,5.00,李四,440304001,\n")
    report = import_donations(db, ACTOR, path, Settings())
    assert report.imported == 1
    assert report.rejected == [(3, "time 2026-08-31 10:00:00 falls in 2026-08, a closed "
                                   "accounting period")]
    assert count(db) == 1


def test_a_row_dated_before_a_closed_year_is_rejected_by_line_not_the_whole_import(
        db, elder, tmp_path):
    """The books began last year, which is closed: the year before it has no months of its
    own to be closed, yet nothing may be dated there either."""
    from datetime import date

    from fundpool.ledger.posting import post_entry, today
    from fundpool.ledger.values import Line, NewEntry, Side
    from fundpool.ledger.year_end import close_year
    year = today().year - 1
    with db.transaction() as session:
        post_entry(session, ACTOR, NewEntry(
            kind="adjustment", effective_date=date(year, 3, 1), memo="期初",
            lines=(Line("440300:1002:CNY", Side.DEBIT, 100),
                   Line("440300:410101:CNY", Side.CREDIT, 100))))
    with db.transaction() as session:
        close_year(session, ACTOR, year, today())
    path = write(tmp_path, f"Y-1,{today():%Y-%m-%d} 10:00:00,5.00,张三,440304001,\n"
                           f"Y-2,{year - 1}-06-01 10:00:00,5.00,李四,440304001,\n")
    report = import_donations(db, ACTOR, path, Settings())
    assert report.imported == 1
    assert report.rejected == [(3, f"time {year - 1}-06-01 10:00:00 falls in {year - 1}, on "
                                   "or before a closed year's end")]
    assert count(db) == 1


def test_cells_padded_with_tabs_or_full_width_spaces_are_trimmed_alike_on_every_backend(
        db, elder, tmp_path):
    """Alipay-style exports pad cells with a tab; the Python parser strips it (and U+3000),
    so the SQL fast path must too: else 'T-1\\t' is stored and a later 'T-1' is not seen
    as a duplicate, and '张三\\t' becomes a second donor."""
    from fundpool.donations.models import Donor
    path = write(tmp_path, "T-1\t,2026-09-09 10:00:00,5.00,张三\t,440304001,\t99公益日\n"
                           "\u3000T-2\u3000,2026-09-09 10:00:00,5.00,\u3000张三\u3000,440304001,\n"
                           "T-3,\t2026-09-09 10:00:00\u3000,\u30005.00\t,张三,\t440304001\u3000,\n")
    assert import_donations(db, ACTOR, path, Settings()).imported == 3
    with db.sessions() as session:
        stored = session.execute(select(Donation.channel_ref, Donation.purpose)
                                 .order_by(Donation.channel_ref)).all()
        assert [tuple(row) for row in stored] == [("T-1", "99公益日"), ("T-2", ""), ("T-3", "")]
        assert session.scalars(select(Donor.name)).all() == ["张三"]
    again = write(tmp_path, "T-1,2026-09-09 10:00:00,5.00,张三,440304001,\n", name="again.csv")
    assert import_donations(db, ACTOR, again, Settings()).duplicate_count == 1
    assert count(db) == 3


def test_a_file_with_a_nul_character_is_refused_whole(db, elder, tmp_path):
    path = write(tmp_path, "N-1,2026-09-09 10:00:00,5.00,张\x00三,440304001,\n")
    with pytest.raises(InvalidInput, match="line 2"):
        import_donations(db, ACTOR, path, Settings())
    assert count(db) == 0


def test_short_rows_are_rejected_with_their_line(db, elder, tmp_path):
    path = write(tmp_path, "R-1,2026-09-09 10:00:00,5.00\nR-2,2026-09-09 10:00:00,5.00,李四,"
                           "440304001,,extra\n")
    report = import_donations(db, ACTOR, path, Settings())
    assert report.imported == 1
    assert report.rejected == [(2, "there is no fund ''")]


@pytest.mark.postgres
def test_two_imports_of_one_file_at_once_record_each_gift_once(db, elder):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: import_donations(db, ACTOR, SAMPLE, Settings()),
                                range(2)))
    assert sorted(r.imported for r in reports) == [0, 5]
    assert sorted(r.duplicate_count for r in reports) == [0, 5]
    assert count(db) == 5
    assert clearing(db, "440304001") == 1_000 + 100 + 99


def test_a_job_reports_progress_where_it_can_and_never_waits_on_its_own_lock(db, elder, tmp_path,
                                                                             monkeypatch):
    """On SQLite the import holds the one write lock; progress must not wait for it."""
    from fundpool.donations import importer, jobs
    from fundpool.donations.models import ImportJob
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 50)
    rows = "".join(f"P-{n},2026-09-09 10:00:00,1.00,网友{n},440304001,\n" for n in range(300))
    path = write(tmp_path, rows)
    with db.transaction() as session:
        job = ImportJob(status="queued", file_name="p.csv", channel="internet_platform",
                        strict=False, created_by="test")
        session.add(job)
        session.flush()
        job_id = job.id
    jobs.run_job(db, ACTOR, job_id, path, Settings())
    with db.sessions() as session:
        done = session.get(ImportJob, job_id)
        assert (done.status, done.imported, done.rows_done) == ("done", 300, 300)
    assert not path.exists()  # the upload held donors' names; the report keeps what it needs


def test_a_gift_recorded_by_hand_with_a_pasted_reference_is_a_duplicate_for_the_file(
        client, shenzhen, db, tmp_path):
    """POST /donations stores the reference trimmed, as the importer reads it."""
    admin = shenzhen.headers("street_admin")
    donor = client.post("/api/v1/donors", headers=admin,
                        json={"kind": "enterprise", "name": "某企业"}).json
    by_hand = client.post("/api/v1/donations", headers=admin, json={
        "donor_id": donor["id"], "fund": "440304001", "amount": "5000.00",
        "channel": "internet_platform", "channel_ref": " TX202609090000001 ",  # pasted
        "received_date": "2026-09-09", "issue_receipt": False})
    assert by_hand.status_code == 201, by_hand.json
    assert by_hand.json["channel_ref"] == "TX202609090000001"
    path = write(tmp_path, "TX202609090000001,2026-09-09 08:15:00,5000.00,某企业,440304001,\n")
    report = import_donations(db, ACTOR, path, Settings())
    assert (report.imported, len(report.duplicates), count(db)) == (0, 1, 1)
