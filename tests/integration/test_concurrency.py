"""Concurrent writers on PostgreSQL, with real threads released together by a barrier."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

from fundpool.audit.models import AuditEvent
from fundpool.pools.models import Pool

pytestmark = pytest.mark.postgres
THREADS = 16


def at_once(app, calls):
    """Run each (method, url, headers, body) in its own thread, all starting together."""
    barrier = Barrier(len(calls))

    def run(call):
        method, url, headers, body = call
        client = app.test_client()
        barrier.wait()
        return getattr(client, method)(url, headers=headers, json=body)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_the_same_code_created_at_once_exists_exactly_once(app, db, shenzhen):
    body = {"code": "440304001003", "name": "南园社区", "level": "community",
            "parent_code": "440304001"}
    responses = at_once(app, [("post", "/api/v1/pools", shenzhen.headers("street_admin"), body)]
                        * THREADS)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (THREADS - 1)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Pool)
                              .where(Pool.code == "440304001003")) == 1
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "pool.create", AuditEvent.target_id == "440304001003")) == 1


def test_closing_a_street_while_communities_are_added_never_orphans_one(app, db, shenzhen):
    headers = shenzhen.headers("street_admin")
    for code in ("440304001001", "440304001002"):
        assert app.test_client().post(f"/api/v1/pools/{code}/close", headers=headers,
                                      json={}).status_code == 200
    calls = [("post", "/api/v1/pools/440304001/close", headers, {})]
    calls += [("post", "/api/v1/pools", headers, {
        "code": f"440304001{n:03d}", "name": f"新社区{n}", "level": "community",
        "parent_code": "440304001"}) for n in range(10, 10 + THREADS - 1)]
    responses = at_once(app, calls)
    assert all(r.status_code in (200, 201, 409) for r in responses)
    with db.sessions() as session:
        street = session.scalar(select(Pool).where(Pool.code == "440304001"))
        open_children = session.scalar(select(func.count()).select_from(Pool).where(
            Pool.parent_id == street.id, Pool.closed_at.is_(None)))
    closed = responses[0].status_code == 200
    assert not (closed and open_children), "a closed street has open communities"
    created = sum(r.status_code == 201 for r in responses[1:])
    assert open_children == created


def test_a_token_revoked_twice_at_once_is_revoked_once(app, db, shenzhen):
    secret_listing = app.test_client().get("/api/v1/tokens?limit=500",
                                           headers=shenzhen.headers("city_admin")).json
    target = next(t for t in secret_listing["items"] if t["pool_code"] == "440304001001")
    url = f"/api/v1/tokens/{target['id']}/revoke"
    responses = at_once(app, [("post", url, shenzhen.headers("city_admin"), None)] * 8)
    assert sorted(r.status_code for r in responses) == [200] + [409] * 7
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "token.revoke")) == 1
