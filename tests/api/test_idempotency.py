"""Idempotency-Key: a retried POST creates nothing new and answers as the first time."""

from sqlalchemy import event, func, select

from fundpool.ledger.models import Entry
from tests.factories import bank, income

STREET = "440304001"
BODY = {"memo": "银行到账", "postings": [
    {"account": bank(STREET), "side": "debit", "amount": "88.00"},
    {"account": income(STREET), "side": "credit", "amount": "88.00"}]}


def entries(db):
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Entry))


def test_a_retry_with_the_same_key_replays_the_first_response(client, shenzhen, db):
    headers = {**shenzhen.headers("street_admin"), "Idempotency-Key": "bank-stmt-0001"}
    first = client.post("/api/v1/entries", headers=headers, json=BODY)
    second = client.post("/api/v1/entries", headers=headers, json=BODY)
    assert first.status_code == second.status_code == 201
    assert second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert entries(db) == 1


def test_the_same_key_with_another_body_is_422(client, shenzhen, db):
    headers = {**shenzhen.headers("street_admin"), "Idempotency-Key": "k-1"}
    client.post("/api/v1/entries", headers=headers, json=BODY)
    response = client.post("/api/v1/entries", headers=headers, json={**BODY, "memo": "other"})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "Idempotency-Key"
    assert entries(db) == 1


def test_keys_belong_to_their_token(client, shenzhen, db):
    key = {"Idempotency-Key": "shared"}
    client.post("/api/v1/entries", headers={**shenzhen.headers("street_admin"), **key}, json=BODY)
    client.post("/api/v1/entries", headers={**shenzhen.headers("district_admin"), **key},
                json=BODY)
    assert entries(db) == 2


def test_a_refused_request_stores_nothing_and_can_be_retried(client, shenzhen, db):
    headers = {**shenzhen.headers("street_admin"), "Idempotency-Key": "k-2"}
    bad = {**BODY, "postings": [BODY["postings"][0], {**BODY["postings"][1], "amount": "1.00"}]}
    assert client.post("/api/v1/entries", headers=headers, json=bad).status_code == 422
    assert client.post("/api/v1/entries", headers=headers, json=bad).status_code == 422
    assert entries(db) == 0


def test_pool_creation_is_idempotent_too(client, shenzhen):
    headers = {**shenzhen.headers("street_admin"), "Idempotency-Key": "new-community"}
    body = {"code": "440304001003", "name": "南园社区", "level": "community",
            "parent_code": "440304001"}
    assert client.post("/api/v1/pools", headers=headers, json=body).status_code == 201
    assert client.post("/api/v1/pools", headers=headers, json=body).status_code == 201


def test_the_header_is_documented_on_writes(client):
    spec = client.get("/api/v1/openapi.json").json
    parameters = spec["paths"]["/api/v1/entries"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in parameters)


def test_a_new_key_is_claimed_in_one_statement_and_a_replay_reads_once(client, shenzhen, db):
    """The common case, a key not seen before, costs one INSERT … ON CONFLICT DO NOTHING
    RETURNING (and the answer's UPDATE); a replay, the INSERT that finds the key taken and
    one read of the stored answer."""
    sent: list[str] = []

    def keep(_conn, _cursor, statement, *_args):
        if "idempotency_keys" in statement:
            sent.append(statement.split()[0])

    headers = {**shenzhen.headers("street_admin"), "Idempotency-Key": "one-statement"}
    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        first = client.post("/api/v1/entries", headers=headers, json=BODY)
        claimed, sent[:] = list(sent), []
        again = client.post("/api/v1/entries", headers=headers, json=BODY)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert claimed == ["INSERT", "UPDATE"]
    assert sent == ["INSERT", "SELECT"]
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json
    assert entries(db) == 1
