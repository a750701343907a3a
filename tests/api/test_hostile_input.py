"""Hostile and malformed input: each request gets a clear 4xx problem and the database is
left exactly as it was. (Issue 7, section 4.)"""

import io
import json
from pathlib import Path

import pytest

STREET = "440304001"
FUND = {"code": "ELDER-440304001", "name": "南园街道助老专项基金", "kind": "special",
        "pool_code": STREET, "restricted": False}


@pytest.fixture
def admin(shenzhen):
    return shenzhen.headers("street_admin")


@pytest.fixture
def donor(client, admin):
    assert client.post("/api/v1/funds", headers=admin, json=FUND).status_code == 201
    return client.post("/api/v1/donors", headers=admin,
                       json={"kind": "individual", "name": "张三"}).json


def donation(donor, **extra):
    return {"donor_id": donor["id"], "fund": FUND["code"], "amount": "1000.00",
            "channel": "bank_transfer", "channel_ref": "BOC-0001", "received_date": "2026-11-20",
            "issue_receipt": False, **extra}


def refused(response, field=None):
    """A clear 4xx problem naming ``field`` (when given)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:300])
    assert response.content_type == "application/problem+json"
    problem = response.json
    assert problem["detail"] and problem["status"] == response.status_code
    if field is not None:
        assert field in [e["field"] for e in problem["errors"]], problem
    return problem


AMOUNTS = [
    ("json number", 1000), ("float", 1000.5), ("exponent", "1e3"), ("exponent upper", "1E3"),
    ("negative zero", "-0.00"), ("negative", "-5.00"), ("zero", "0.00"), ("plus sign", "+5.00"),
    ("huge", "9" * 40), ("too many decimals", "1.001"), ("hex", "0x10"),
    ("full-width digits", "１０００.００"), ("arabic-indic digits", "١٠٠٠"),
    ("trailing newline", "1000.00\n"), ("spaces", " 1000.00 "), ("comma", "1,000.00"),
    ("empty", ""), ("null", None), ("list", ["1000.00"]), ("nan text", "NaN"),
    ("infinity text", "Infinity"),
]


@pytest.mark.parametrize("amount", [a for _, a in AMOUNTS], ids=[n for n, _ in AMOUNTS])
def test_amounts_that_are_not_plain_positive_decimals(client, admin, donor, snapshot, amount):
    before = snapshot()
    refused(client.post("/api/v1/donations", headers=admin, json=donation(donor, amount=amount)),
            "amount")
    assert snapshot() == before


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_json_numbers_are_refused(client, admin, donor, snapshot, literal):
    before = snapshot()
    body = json.dumps(donation(donor)).replace('"1000.00"', literal)
    refused(client.post("/api/v1/donations", headers=admin, data=body,
                        content_type="application/json"))
    assert snapshot() == before


@pytest.mark.parametrize("number", ["1e999", "-1e999", str(2**63), str(-2**64), "1" * 400])
def test_numbers_too_large_to_store_are_refused(client, admin, donor, snapshot, number):
    before = snapshot()
    body = json.dumps(donation(donor)).replace(f'"donor_id": {donor["id"]}',
                                               f'"donor_id": {number}')
    refused(client.post("/api/v1/donations", headers=admin, data=body,
                        content_type="application/json"), "donor_id")
    assert snapshot() == before


@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '{"name": "张三", "kind": "individual"',
    "\x00\x01\x02",
    '{"kind": "individual", "name": "\\ud800"}',
    b'{"kind": "individual", "name": "\xff\xfe"}',
], ids=["deep list", "deep object", "truncated", "binary", "lone surrogate", "not utf-8"])
def test_malformed_and_deeply_nested_json(client, admin, snapshot, body):
    before = snapshot()
    refused(client.post("/api/v1/donors", headers=admin, data=body,
                        content_type="application/json"))
    assert snapshot() == before


def test_a_json_body_of_the_wrong_shape(client, admin, snapshot):
    before = snapshot()
    for body in ([], "text", 42, None):
        refused(client.post("/api/v1/donors", headers=admin, json=body))
    assert snapshot() == before


@pytest.mark.parametrize("name", ["张三\x00", "\x00"], ids=["nul inside", "nul alone"])
def test_nul_characters_in_text_are_refused(client, admin, snapshot, name):
    before = snapshot()
    refused(client.post("/api/v1/donors", headers=admin, json={"kind": "individual",
                                                               "name": name}), "name")
    assert snapshot() == before


@pytest.mark.parametrize("query", ["action=a%00b", "actor=%00", "target_type=%00",
                                   "request_id=x%00"])
def test_nul_characters_in_query_filters_are_refused(client, shenzhen, query):
    response = client.get(f"/api/v1/audit-events?{query}", headers=shenzhen.headers("auditor"))
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == query.split("=")[0]


@pytest.mark.parametrize("path, who, field", [
    ("/api/v1/public/funds/a%00b/figures", None, "code"),
    ("/api/v1/public/pools/4403%00/figures", None, "code"),
    ("/api/v1/public/funds/a%00b/reports/2025", None, "code"),
    ("/api/v1/funds/a%00b", "street_admin", "code"),
    ("/api/v1/accounts/a%00b", "auditor", "code"),
])
def test_nul_characters_in_the_path_are_refused(client, shenzhen, path, who, field):
    """PostgreSQL refuses a NUL in a query parameter mid-query: a 500 anyone could cause
    with one public request, unless it is refused first, naming the path part."""
    response = client.get(path, headers=shenzhen.headers(who) if who else {})
    assert response.status_code == 422
    refused(response, field)


def test_a_nul_character_in_a_public_page_address_is_refused(client):
    response = client.get("/public/funds/a%00b")
    assert response.status_code == 422 and response.mimetype == "text/html"


@pytest.mark.parametrize("name", [
    "\u202eRTL override 张三", "e\u0301\u0301\u0301", "🙏爱心人士🌸", "Robert'); DROP TABLE donors;--",
    "' OR '1'='1", "=HYPERLINK(\"http://evil.example\",\"点我\")", "@SUM(1+1)*cmd|' /C calc'!A0",
], ids=["rtl", "combining", "emoji", "sql 1", "sql 2", "formula", "dde"])
def test_odd_but_harmless_names_are_kept_verbatim(client, shenzhen, admin, name):
    made = client.post("/api/v1/donors", headers=admin, json={"kind": "individual", "name": name})
    assert made.status_code == 201, made.json
    city = shenzhen.headers("city_admin")  # a donor who gave nothing yet is read city-wide
    assert client.get(f"/api/v1/donors/{made.json['id']}", headers=city).json["name"] == name


def test_a_formula_in_a_donor_name_never_becomes_a_formula_in_exports(client, shenzhen, admin):
    client.post("/api/v1/funds", headers=admin, json=FUND)
    donor = client.post("/api/v1/donors", headers=admin, json={
        "kind": "enterprise", "name": "=HYPERLINK(\"http://evil.example\",\"点我\")"}).json
    assert client.post("/api/v1/donations", headers=admin,
                       json=donation(donor)).status_code == 201
    auditor = shenzhen.headers("auditor")
    statement = client.get(f"/api/v1/reports/funds/{FUND['code']}/statement?from=2026-11-01"
                           f"&to=2026-11-26&format=csv", headers=auditor)
    assert statement.status_code == 200, statement.data[:300]
    text = statement.data.decode("utf-8-sig")
    assert "=HYPERLINK" in text
    assert all(not cell.startswith(("=", "+", "-", "@"))
               for line in text.splitlines() for cell in line.split(","))
    with client.get(f"/api/v1/reports/funds/{FUND['code']}/statement?from=2026-11-01"
                    f"&to=2026-11-26&format=xlsx", headers=auditor) as workbook_response:
        import openpyxl
        sheet = openpyxl.load_workbook(io.BytesIO(workbook_response.get_data())).active
        cells = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert any("HYPERLINK" in c for c in cells)
        assert all(not c.startswith("=") for c in cells)


@pytest.mark.parametrize("day", ["0000-01-01", "0001-01-01", "1999-12-31", "9999-12-31",
                                 "2026-02-30", "2026-13-01", "26-11-20", "2026/11/20",
                                 "2026-11-20T00:00:00", ""])
def test_dates_out_of_range_or_malformed(client, admin, donor, snapshot, day):
    before = snapshot()
    refused(client.post("/api/v1/donations", headers=admin,
                        json=donation(donor, received_date=day)), "received_date")
    assert snapshot() == before


@pytest.mark.parametrize("query", ["from=2026-11-01&to=9999-12-31", "from=2026-11-01&to=x",
                                   "from=2026-11-01&to=2026-11-01T00:00:00",
                                   "from=2026-11-02&to=2026-11-01"])
def test_report_ranges_out_of_range(client, shenzhen, query):
    refused(client.get(f"/api/v1/exports/ledger?{query}", headers=shenzhen.headers("auditor")))


@pytest.mark.parametrize("query", ["from=0001-01-01&to=0001-01-01", "from=1999-12-31",
                                   "from=0001-01-01&to=2026-11-01&format=csv"])
def test_a_statement_before_the_ledgers_first_day_is_refused(client, shenzhen, query):
    refused(client.get(f"/api/v1/reports/funds/{STREET}/statement?{query}",
                       headers=shenzhen.headers("auditor")), "from")


def test_a_time_without_a_zone_is_refused(client, admin, donor, snapshot):
    client.post("/api/v1/donations", headers=admin, json=donation(donor))
    before = snapshot()
    refused(client.post("/api/v1/holds", headers=admin, json={
        "legs": [{"from_account": "ELDER-440304001:1002:CNY",
                  "to_account": f"{STREET}:2209:CNY", "amount": "10.00"}],
        "memo": "test", "expires_at": "2026-12-01T10:00:00"}), "expires_at")
    assert snapshot() == before


@pytest.mark.parametrize("filename", ["../../../etc/passwd.csv", "..\\..\\windows\\x.csv",
                                      "/etc/cron.d/evil.csv", "a\x00b.csv", "捐赠\u202e.csv"])
def test_upload_file_names_are_never_paths(client, admin, donor, app, filename):
    data = "交易号,时间,金额,捐赠人,项目编号\nT1,2026-11-20 10:00:00,10.00,张*,ELDER-440304001\n"
    response = client.post("/api/v1/imports", headers=admin, data={
        "file": (io.BytesIO(data.encode()), filename)}, content_type="multipart/form-data")
    for worker in app.extensions.get("fundpool.import_threads", []):
        worker.join(timeout=120)
    assert response.status_code == 202, response.data[:300]
    saved = list((Path(app.instance_path) / "imports").rglob("*"))
    assert all(Path(app.instance_path) in p.resolve().parents for p in saved)
    assert not Path("/etc/passwd.csv").exists() and not Path("/etc/cron.d/evil.csv").exists()
    job = client.get(f"/api/v1/imports/{response.json['id']}", headers=admin).json
    assert "/" not in job["file_name"] and "\\" not in job["file_name"]
    assert "\x00" not in job["file_name"]


def test_an_upload_that_is_not_a_csv_or_xlsx_is_refused(client, admin, snapshot):
    before = snapshot()
    for name in ("ok.csv.exe", "捐赠.CSV.php", "noext"):
        refused(client.post("/api/v1/imports", headers=admin, data={
            "file": (io.BytesIO(b"a,b\n"), name)}, content_type="multipart/form-data"), "file")
    assert snapshot() == before
