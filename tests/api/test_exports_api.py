"""GET /api/v1/exports/ledger: roles, scope, formats and bad input."""

import csv
import io
import json
from datetime import timedelta

import openpyxl
import pytest

from fundpool.exports.ledger_export import HEADER
from fundpool.ledger.posting import today

DISTRICT, STREET, OTHER_STREET = "440304", "440304001", "440304002"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def url(**params):
    params = {"from": (today() - timedelta(days=30)).isoformat(),
              "to": today().isoformat(), **params}
    return "/api/v1/exports/ledger?" + "&".join(f"{k}={v}" for k, v in params.items())


@pytest.fixture
def books(client, shenzhen):
    """福田区 takes 10,000.00 and allocates 3,000.00 to 南园街道 and 1,000.00 to the other street."""
    city = shenzhen.headers("city_admin")
    assert client.post("/api/v1/entries", headers=city, json={
        "memo": "@市级拨入", "postings": [
            {"account": f"{DISTRICT}:1002:CNY", "side": "debit", "amount": "10000.00"},
            {"account": f"{DISTRICT}:410101:CNY", "side": "credit",
             "amount": "10000.00"}]}).status_code == 201
    for target, amount in ((STREET, "3000.00"), (OTHER_STREET, "1000.00")):
        response = client.post("/api/v1/allocations", headers=shenzhen.headers("district_admin"),
                               json={"source_fund": DISTRICT, "target_fund": target,
                                     "amount": amount})
        assert response.status_code == 201, response.json


def csv_table(response):
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def test_an_auditor_exports_every_pool_as_csv(client, shenzhen, books):
    response = client.get(url(), headers=shenzhen.headers("auditor"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=\"ledger-all-")
    header, rows = csv_table(response)
    assert header == list(HEADER)
    assert len(rows) == 6
    assert "'@市级拨入" in {row[12] for row in rows}


def test_an_admin_exports_its_subtree_by_default(client, shenzhen, books):
    response = client.get(url(), headers=shenzhen.headers("street_admin"))
    assert response.status_code == 200
    _, rows = csv_table(response)
    assert [(row[4], row[9], row[10]) for row in rows] == [
        (f"{STREET}:1002:CNY", "3000.00", "")]


@pytest.mark.parametrize("kind", ["jsonl", "beancount", "xlsx"])
def test_every_format_downloads(client, shenzhen, books, kind):
    with client.get(url(format=kind, pool=DISTRICT),
                    headers=shenzhen.headers("auditor")) as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].rstrip('"').endswith(f".{kind}")
        data = response.get_data()
    if kind == "jsonl":
        lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
        assert len(lines) == 6 and lines[0]["pool"] == DISTRICT
    elif kind == "beancount":
        text = data.decode("utf-8")
        assert f"open Assets:{STREET}:1002-CNY CNY" in text
        assert "entry_hash:" in text
    else:
        assert response.mimetype == XLSX
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
        assert len(list(sheet.iter_rows(values_only=True))) == 7


@pytest.mark.parametrize("who", ["foundation", "other_street_admin"])
def test_a_pool_outside_the_callers_scope_is_403(client, shenzhen, books, who):
    response = client.get(url(pool=STREET), headers=shenzhen.headers(who))
    assert response.status_code == 403
    assert response.content_type == "application/problem+json"


def test_a_street_admin_cannot_export_its_district(client, shenzhen, books):
    response = client.get(url(pool=DISTRICT), headers=shenzhen.headers("street_admin"))
    assert response.status_code == 403
    assert response.json["errors"][0]["field"] == "pool"


def test_an_unknown_pool_is_404(client, shenzhen):
    response = client.get(url(pool="440304099"), headers=shenzhen.headers("auditor"))
    assert response.status_code == 404
    assert response.json["errors"][0]["field"] == "pool"


@pytest.mark.parametrize("params, field", [
    ({"format": "pdf"}, "format"),
    ({"from": today().isoformat(), "to": (today() - timedelta(days=1)).isoformat()}, "from"),
    ({"to": (today() + timedelta(days=1)).isoformat()}, "to"),
    ({"from": "2026-13-01"}, "from"),
])
def test_bad_input_is_422_naming_the_field(client, shenzhen, params, field):
    response = client.get(url(**params), headers=shenzhen.headers("auditor"))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == [field]


def test_without_a_token_it_is_401(client):
    assert client.get(url()).status_code == 401


def test_the_export_is_documented_with_every_file_type(client):
    operation = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/exports/ledger"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {
        "text/csv", "application/jsonl", XLSX, "text/plain"}
    assert {"401", "403", "404", "422"} <= set(operation["responses"])
