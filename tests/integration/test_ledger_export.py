"""General-ledger export: rows and totals equal the ledger; CSV with BOM and formula-safe
cells; JSON Lines; XLSX; Beancount accepted by Beancount with the same balances."""

import csv
import io
import json
from collections import defaultdict

import openpyxl
import pytest
from sqlalchemy import func, select

from fundpool.audit.log import Actor
from fundpool.exports.ledger_export import (HEADER, KEYS, LedgerRange, beancount_account,
                                            beancount_chunks, count_postings, csv_export,
                                            jsonl_chunks, ledger_rows, xlsx_export)
from fundpool.ledger import holds
from fundpool.ledger.models import Account, Posting
from fundpool.ledger.posting import post_entry, today
from fundpool.ledger.queries import CodeRange
from fundpool.ledger.reversal import reverse_entry
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.pools.codes import Level, subtree_bounds

ACTOR = Actor("test")
DISTRICT, STREET = "440304", "440304001"
FUND = "ELDER-440304001"


@pytest.fixture
def scenario(client, shenzhen, db):
    """Donations (one refunded in part), allocations down and back up, a hold committed in
    part, a manual adjustment and its reversal; a memo that would be a formula."""
    city = shenzhen.headers("city_admin")
    district = shenzhen.headers("district_admin")
    street = shenzhen.headers("street_admin")
    assert client.post("/api/v1/entries", headers=city, json={
        "memo": "=HYPERLINK(\"http://evil.example\")", "postings": [
            {"account": f"{DISTRICT}:1002:CNY", "side": "debit", "amount": "10000.00"},
            {"account": f"{DISTRICT}:410101:CNY", "side": "credit",
             "amount": "10000.00"}]}).status_code == 201
    for target, amount in ((STREET, "3000.00"), ("440304002", "1000.00")):
        response = client.post("/api/v1/allocations", headers=district, json={
            "source_fund": DISTRICT, "target_fund": target, "amount": amount, "memo": "拨付"})
        assert response.status_code == 201, response.json
    back = client.post("/api/v1/allocations", headers=street, json={
        "source_fund": STREET, "target_fund": DISTRICT, "amount": "500.00"})
    assert back.status_code == 201, back.json
    assert client.post("/api/v1/funds", headers=street, json={
        "code": FUND, "name": "南园街道助老专项基金", "kind": "special", "pool_code": STREET,
        "restricted": True, "restriction": {"categories": ["elderly_in_difficulty"]}}
    ).status_code == 201
    donor = client.post("/api/v1/donors", headers=street, json={
        "kind": "individual", "name": "张三"}).json
    gift = client.post("/api/v1/donations", headers=street, json={
        "donor_id": donor["id"], "fund": FUND, "amount": "1000.00", "issue_receipt": False,
        "channel": "bank_transfer", "channel_ref": "+BOC-1", "received_date": today().isoformat()})
    assert gift.status_code == 201, gift.json
    refund = client.post(f"/api/v1/donations/{gift.json['id']}/refund", headers=street,
                         json={"amount": "400.00", "reason": "重复转账"})
    assert refund.status_code == 200, refund.json
    with db.transaction() as session:
        hold = holds.create_hold(session, ACTOR, [
            holds.NewLeg(f"{STREET}:1002:CNY", f"{STREET}:5101:CNY", 100_000)], kind="grant")
        hold_id = hold.id
    with db.transaction() as session:
        holds.commit_hold(session, ACTOR, hold_id, today(), amounts=[60_000])
    with db.transaction() as session:
        entry = post_entry(session, ACTOR, NewEntry("adjustment", today(), (
            Line(f"{STREET}:5201:CNY", Side.DEBIT, 1_234),
            Line(f"{STREET}:1002:CNY", Side.CREDIT, 1_234)), memo="-手续费"))
        entry_id = entry.id
    with db.transaction() as session:
        reverse_entry(session, ACTOR, entry_id, today(), "记错了")


def whole(within=None):
    return LedgerRange(today().replace(year=today().year - 1), today(), within)


def subtree(code, level):
    return CodeRange(*subtree_bounds(code, level))


def test_rows_and_totals_equal_the_ledger(db, scenario):
    with db.sessions() as session:
        rows = list(ledger_rows(session, whole()))
        assert count_postings(session, whole()) == len(rows)
        assert len(rows) == session.scalar(select(func.count()).select_from(Posting))
        accounts = {a.code: a for a in session.scalars(select(Account))}
    assert [(r[1], r[0]) for r in rows] == sorted((r[1], r[0]) for r in rows)
    movement = defaultdict(int)
    for row in rows:
        assert (row[9] == "") != (row[10] == "")
        debit = int(row[9].replace(".", "")) if row[9] else 0
        credit = int(row[10].replace(".", "")) if row[10] else 0
        movement[row[4]] += debit - credit
        assert len(row[14]) == 64
    for code, account in accounts.items():
        signed = account.balance if account.normal_side == "debit" else -account.balance
        assert movement.get(code, 0) == signed, code
    kinds = {row[3] for row in rows}
    assert {"adjustment", "allocation", "donation", "refund", "grant",
            "reversal"} <= kinds
    fund_row = next(r for r in rows if r[4].startswith(FUND))
    assert (fund_row[7], fund_row[8], fund_row[11]) == (FUND, STREET, "CNY")
    assert fund_row[5] and fund_row[6]


def test_a_subtree_keeps_only_its_pools_postings(db, scenario):
    with db.sessions() as session:
        rows = list(ledger_rows(session, whole(subtree(STREET, Level.STREET))))
    assert rows and all(r[8].startswith(STREET) for r in rows)


def test_csv_has_a_bom_and_formula_safe_cells(db, scenario):
    with db.sessions() as session:
        data = b"".join(csv_export(session, whole()))
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert table[0] == list(HEADER)
    memos = {row[12] for row in table[1:]}
    assert "'=HYPERLINK(\"http://evil.example\")" in memos
    assert "'-手续费" in memos
    assert "bank_transfer:+BOC-1" in {row[13] for row in table[1:]}
    assert all(not cell.startswith("'") for row in table[1:] for cell in row[9:11])


def test_json_lines_and_xlsx_carry_the_same_rows(db, scenario):
    with db.sessions() as session:
        rows = list(ledger_rows(session, whole()))
        lines = b"".join(jsonl_chunks(session, whole())).decode("utf-8").splitlines()
        with xlsx_export(session, whole()) as workbook_file:
            sheet = openpyxl.load_workbook(workbook_file, read_only=True).active
            cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [json.loads(line) for line in lines] == [dict(zip(KEYS, r)) for r in rows]
    assert cells[0] == list(HEADER)
    assert len(cells) == len(rows) + 1
    assert "'=HYPERLINK(\"http://evil.example\")" in {r[12] for r in cells[1:]}


def beancount_balances(path):
    from beancount import loader
    from beancount.core import data

    entries, errors, _options = loader.load_file(str(path))
    assert errors == []
    totals = defaultdict(int)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                totals[(posting.account, posting.units.currency)] += posting.units.number
    return totals


@pytest.mark.parametrize("within", [None, (STREET, Level.STREET), (DISTRICT, Level.DISTRICT)])
def test_beancount_checks_and_balances_equal_fundpool(db, scenario, tmp_path, within):
    pytest.importorskip("beancount")
    scope = whole(subtree(*within) if within else None)
    path = tmp_path / "ledger.beancount"
    with db.sessions() as session:
        path.write_bytes(b"".join(beancount_chunks(session, scope)))
        accounts = list(session.scalars(select(Account)))
        pools = {a.id: a.pool.code for a in accounts}
    totals = beancount_balances(path)
    from fundpool.ledger.money import EXPONENTS
    for account in accounts:
        if within and not pools[account.id].startswith(within[0]):
            continue
        signed = account.balance if account.normal_side == "debit" else -account.balance
        name = beancount_account(account.type, account.code)
        expected = signed / 10 ** EXPONENTS[account.currency]
        assert float(totals.get((name, account.currency), 0)) == expected, name


def test_the_command_line_writes_the_same_export(db, scenario, database_url, tmp_path):
    from click.testing import CliRunner

    from fundpool.cli import main

    env = {"FUNDPOOL_DATABASE_URL": database_url, "FUNDPOOL_INSTANCE_FOLDER": str(tmp_path),
           "FUNDPOOL_LOG_LEVEL": "WARNING"}
    scope = whole(subtree(DISTRICT, Level.DISTRICT))
    args = ["export", "ledger", "--from", scope.start.isoformat(), "--to", scope.end.isoformat(),
            "--pool", DISTRICT]
    output = tmp_path / "ledger.beancount"
    result = CliRunner().invoke(main, [*args, "--format", "beancount", "--output", str(output)],
                                env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with db.sessions() as session:
        assert output.read_bytes() == b"".join(beancount_chunks(session, scope))
        expected = b"".join(csv_export(session, scope))
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout_bytes == expected
    bad = CliRunner().invoke(main, ["export", "ledger", "--from", scope.end.isoformat(),
                                    "--to", scope.start.isoformat()], env=env)
    assert bad.exit_code == 2
    assert "is after --to" in bad.output


def test_the_database_made_csv_equals_the_python_one(db, scenario):
    """On PostgreSQL the CSV comes from COPY; byte for byte what Python writes, also for a
    memo with a comma, a quote, a line break and a leading formula character."""
    from fundpool.exports.ledger_export import _python_csv_chunks
    with db.transaction() as session:
        post_entry(session, ACTOR, NewEntry("adjustment", today(), (
            Line(f"{STREET}:5201:CNY", Side.DEBIT, 5),
            Line(f"{STREET}:1002:CNY", Side.CREDIT, 5)),
            memo='+第一行, "引号"\n第二行\r\n第三行', external_ref="=A1"))
        post_entry(session, ACTOR, NewEntry("adjustment", today(), (
            Line(f"{STREET}:5201:CNY", Side.DEBIT, 5),
            Line(f"{STREET}:1002:CNY", Side.CREDIT, 5)), memo=""))
    with db.sessions() as session:
        fast = b"".join(csv_export(session, whole()))
        slow = b"".join(_python_csv_chunks(session, whole()))
    assert fast == slow
    assert fast.count(b"\r\n") > 20
