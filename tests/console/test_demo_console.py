"""The demo opens on the city administrator's dashboard and lets a visitor try each role."""

from __future__ import annotations

import re

import pytest

from fundpool import demo
from fundpool.audit.log import Actor


@pytest.fixture
def demo_app(app, db):
    with db.transaction() as session:
        demo.load(session, Actor("demo"))
        demo.load_money(session, Actor("demo"))
        assert demo.load_people(session, Actor("demo")) is True
    with db.transaction() as session:
        assert demo.load_people(session, Actor("demo")) is False
    app.config["FUNDPOOL"]["demo_sign_in"] = demo.PEOPLE[0][0]
    return app


def test_the_demo_opens_signed_in_on_the_city_dashboard(demo_app):
    client = demo_app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert "深圳市" in page and "福田区" in page and "陈主任（示例）" in page
    futian = re.search(r'<tr data-pool="440304">(.*?)</tr>', page, re.DOTALL).group(1)
    assert "¥" in futian


def test_after_signing_out_the_visitor_picks_a_demo_account(demo_app):
    client = demo_app.test_client()
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/sign-out", data={"csrf_token": token})
    sign_in = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "futian-admin" in sign_in and demo.DEMO_PASSWORD in sign_in
    token = re.search(r'name="csrf_token" value="([^"]+)"', sign_in).group(1)
    client.post("/sign-in", data={"login": "futian-admin", "password": demo.DEMO_PASSWORD,
                                  "csrf_token": token})
    page = client.get("/").get_data(as_text=True)
    assert "福田区资金池管理员（示例）" in page and "南园街道" in page


def test_without_the_demo_setting_nobody_is_signed_in(app, db):
    with db.transaction() as session:
        demo.load(session, Actor("demo"))
        demo.load_money(session, Actor("demo"))
        demo.load_people(session, Actor("demo"))
    page = app.test_client().get("/", follow_redirects=True).get_data(as_text=True)
    assert "陈主任（示例）" not in page and demo.DEMO_PASSWORD not in page
