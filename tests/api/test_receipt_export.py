"""Receipt export: a pool's receipts for a year as CSV (UTF-8 with BOM) or XLSX."""

import csv
import io
from datetime import datetime, timezone

import openpyxl
import pytest
from sqlalchemy import update

from fundpool.donations.models import Receipt
from fundpool.ledger.posting import LEDGER_TZ

STREET = "440304001"
URL = f"/api/v1/receipts/export?pool={STREET}&year=2026"
HEADER = ["票据代码 / code", "票据号码 / number", "状态 / status", "开票日期 / issued_on",
          "作废日期 / voided_on", "捐赠人 / donor", "证件号码 / donor_id_number",
          "金额 / amount", "币种 / currency", "基金代码 / fund", "基金名称 / fund_name",
          "捐赠编号 / donation_id", "作废原因 / void_reason"]
FUND = ("ELDER-440304001", "南园街道助老专项基金")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def admin(shenzhen):
    return shenzhen.headers("street_admin")


@pytest.fixture
def receipts(client, admin):
    """Three receipts of 南园街道: 0101 for 张三's gift, voided by a partial refund; 0102 for a
    donor whose name would be a formula; 0103 reissued to 张三 for what remained. Returns the
    donation ids."""
    fund = {"code": FUND[0], "name": FUND[1], "kind": "special", "pool_code": STREET,
            "restricted": True, "restriction": {"categories": ["elderly_in_difficulty"]}}
    assert client.post("/api/v1/funds", headers=admin, json=fund).status_code == 201
    assert client.post(f"/api/v1/pools/{STREET}/receipt-books", headers=admin, json={
        "code": "44030001", "first_number": "0000000101",
        "last_number": "0000000200"}).status_code == 201
    zhang = client.post("/api/v1/donors", headers=admin, json={
        "kind": "individual", "name": "张三", "id_number": "440304199001011234"}).json
    sneaky = client.post("/api/v1/donors", headers=admin, json={
        "kind": "enterprise", "name": '=HYPERLINK("http://evil.example","点我")'}).json
    ids = []
    for donor, ref, amount in ((zhang, "BOC-1", "1000.00"), (sneaky, "BOC-2", "88.80")):
        response = client.post("/api/v1/donations", headers=admin, json={
            "donor_id": donor["id"], "fund": FUND[0], "amount": amount,
            "channel": "bank_transfer", "channel_ref": ref, "received_date": "2026-11-20"})
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    refund = client.post(f"/api/v1/donations/{ids[0]}/refund", headers=admin,
                         json={"amount": "400.00", "reason": "-重复转账"})
    assert refund.status_code == 200, refund.json
    return ids


def today() -> str:
    return datetime.now(LEDGER_TZ).date().isoformat()


def expected_rows(ids, id_number="440*************34"):
    day = today()
    return [
        ["44030001", "0000000101", "void", day, day, "张三", id_number, "1000.00", "CNY",
         *FUND, ids[0], "'-重复转账"],
        ["44030001", "0000000102", "issued", day, None,
         '\'=HYPERLINK("http://evil.example","点我")', None, "88.80", "CNY", *FUND, ids[1],
         None],
        ["44030001", "0000000103", "issued", day, None, "张三", id_number, "600.00", "CNY",
         *FUND, ids[0], None],
    ]


def csv_rows(response):
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def as_csv(rows):
    """The expected rows as CSV reads them back: all text, empty for nothing."""
    return [["" if value is None else str(value) for value in row] for row in rows]


def xlsx_rows(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    try:
        rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
        rows = [row + [None] * (len(HEADER) - len(row)) for row in rows]  # trailing blanks
    finally:
        workbook.close()
    return rows[0], rows[1:]


def test_csv_has_the_bom_a_bilingual_header_and_every_receipt(client, admin, receipts):
    response = client.get(URL, headers=admin)
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="receipts-440304001-2026.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data().startswith(b"\xef\xbb\xbf\xe7\xa5\xa8")  # BOM, then 票
    assert b"\r\n" in response.get_data()
    header, rows = csv_rows(response)
    assert header == HEADER
    assert rows == as_csv(expected_rows(receipts))


def test_csv_is_the_default_format(client, admin, receipts):
    response = client.get(URL, headers=admin)
    assert response.status_code == 200
    assert response.is_streamed


def test_xlsx_has_the_same_rows(client, admin, receipts):
    with client.get(URL + "&format=xlsx", headers=admin) as response:
        assert response.status_code == 200
        assert response.content_type == XLSX
        assert response.headers["Content-Disposition"] == \
            "attachment; filename=receipts-440304001-2026.xlsx"
        assert int(response.headers["Content-Length"]) == len(response.get_data())
        header, rows = xlsx_rows(response)
    assert header == HEADER
    assert rows == expected_rows(receipts)


def test_a_formula_in_a_donor_name_stays_text_in_xlsx(client, admin, receipts):
    with client.get(URL + "&format=xlsx", headers=admin) as response:
        workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    cell = workbook.active["F3"]
    assert cell.value == '\'=HYPERLINK("http://evil.example","点我")'
    assert cell.data_type == "s"
    assert workbook.active["M2"].value == "'-重复转账"


def test_auditors_see_whole_identity_numbers(client, shenzhen, receipts):
    auditor = shenzhen.headers("auditor")
    _, rows = csv_rows(client.get(URL, headers=auditor))
    assert rows == as_csv(expected_rows(receipts, id_number="440304199001011234"))
    with client.get(URL + "&format=xlsx", headers=auditor) as response:
        _, rows = xlsx_rows(response)
    assert rows[0][6] == "440304199001011234"


@pytest.mark.parametrize("who", ["district_admin", "city_admin", "auditor"])
def test_readers_above_the_street_may_export(client, shenzhen, receipts, who):
    response = client.get(URL, headers=shenzhen.headers(who))
    assert response.status_code == 200
    assert len(csv_rows(response)[1]) == 3


@pytest.mark.parametrize("who", ["other_street_admin", "community_admin", "foundation"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_others_get_403(client, shenzhen, receipts, who, kind):
    response = client.get(f"{URL}&format={kind}", headers=shenzhen.headers(who))
    assert response.status_code == 403
    assert response.content_type == "application/problem+json"


def test_an_unknown_format_is_422_naming_format(client, admin, receipts):
    response = client.get(URL + "&format=pdf", headers=admin)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == ["format"]


def test_an_unknown_pool_is_404(client, shenzhen):
    response = client.get("/api/v1/receipts/export?pool=440304099&year=2026",
                          headers=shenzhen.headers("district_admin"))
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["errors"][0]["field"] == "pool"


def test_the_year_is_the_calendar_year_in_china_time(client, db, admin, receipts):
    def issue_at(number, moment):
        with db.transaction() as session:
            session.execute(update(Receipt).where(Receipt.number == number)
                            .values(issued_at=moment))

    issue_at(101, datetime(2025, 12, 31, 15, 59, 59, tzinfo=timezone.utc))  # 23:59:59 in China
    issue_at(103, datetime(2025, 12, 31, 16, 0, tzinfo=timezone.utc))  # 2026-01-01 00:00
    _, rows = csv_rows(client.get(URL, headers=admin))
    assert [(row[1], row[3]) for row in rows] == [("0000000102", today()),
                                                   ("0000000103", "2026-01-01")]
    with client.get(URL.replace("2026", "2025") + "&format=xlsx", headers=admin) as response:
        _, rows = xlsx_rows(response)
    assert [(row[1], row[3]) for row in rows] == [("0000000101", "2025-12-31")]
    with client.get(URL.replace("2026", "2024") + "&format=xlsx", headers=admin) as response:
        header, rows = xlsx_rows(response)
    assert header == HEADER
    assert rows == []


def test_the_export_is_documented_with_both_file_types(client):
    operation = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/receipts/export"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"text/csv", XLSX}
    assert {"401", "403", "404", "422"} <= set(operation["responses"])
