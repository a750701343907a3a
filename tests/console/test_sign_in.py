"""Signing in to the console: passwords, sessions, CSRF, invitations, language."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from fundpool import create_app
from fundpool.audit.models import AuditEvent
from fundpool.auth.sign_in_limit import LIMIT
from tests.factories import PASSWORD


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, login: str, password: str = PASSWORD):
    token = csrf_of(client.get("/sign-in").get_data(as_text=True))
    return client.post("/sign-in", data={"login": login, "password": password,
                                         "csrf_token": token})


@pytest.fixture
def admin(shenzhen, make):
    return make.user("wang.fang", "admin", "440304")


def test_pages_need_a_signed_in_person(client):
    response = client.get("/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/users")


def test_admin_signs_in_and_sees_their_district(client, admin):
    response = sign_in(client, "wang.fang")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "福田区" in page and "南园街道" in page and "罗湖区" not in page
    assert "本月募集" in page


def test_wrong_password_is_refused_in_the_same_words_as_an_unknown_name(client, admin):
    wrong = sign_in(client, "wang.fang", "not the password")
    unknown = sign_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "登录名或密码错误" in wrong.get_data(as_text=True)
    assert "登录名或密码错误" in unknown.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_five_wrong_passwords_lock_the_account_without_saying_so(client, admin, db):
    for _ in range(5):
        sign_in(client, "wang.fang", "not the password")
    response = sign_in(client, "wang.fang")
    assert response.status_code == 401
    assert "登录名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    with db.sessions() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "user.locked" in actions and actions[-1] == "user.sign_in_refused"


def test_an_address_that_failed_twenty_times_waits_whatever_name_it_tries(app, client, admin):
    for number in range(LIMIT):
        assert sign_in(client, f"guess{number}", "Password123").status_code == 401
    refused = sign_in(client, "wang.fang")
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 900
    assert "登录失败次数过多" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert sign_in(elsewhere, "wang.fang").status_code == 302


def test_a_browser_that_signed_in_before_is_not_locked_out_by_a_guesser_beside_it(app, client,
                                                                                  admin):
    colleague = app.test_client()
    assert sign_in(colleague, "wang.fang").status_code == 302
    colleague.post("/sign-out", data={"csrf_token": csrf_of(page_text(colleague, "/"))})
    for number in range(LIMIT):
        sign_in(client, f"guess{number}", "Password123")
    assert sign_in(client, "wang.fang").status_code == 429
    assert sign_in(colleague, "wang.fang").status_code == 302
    stranger = app.test_client()
    stranger.set_cookie("fundpool_device", "forged", domain="localhost")
    assert sign_in(stranger, "wang.fang").status_code == 429


def page_text(client, url: str) -> str:
    return client.get(url).get_data(as_text=True)


def test_a_proxy_nobody_declared_is_named_in_the_log_once(app, client, admin, caplog):
    app.extensions.pop("fundpool.proxy_warned", None)
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
    with caplog.at_level("WARNING", logger="fundpool.console"):
        sign_in(client, "wang.fang", "wrong password")
        sign_in(client, "wang.fang", "wrong password")
    warnings = [r for r in caplog.records if "proxy_hops is 0" in r.getMessage()]
    assert len(warnings) == 1


def test_behind_a_proxy_the_forwarded_client_address_is_counted(database_url, admin):
    proxied = create_app({"database_url": database_url, "proxy_hops": 1, "secret_key": "k",
                          "log_level": "WARNING"})
    try:
        sprayer = proxied.test_client()
        sprayer.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
        for number in range(LIMIT):
            sign_in(sprayer, f"guess{number}", "Password123")
        assert sign_in(sprayer, "wang.fang").status_code == 429
        colleague = proxied.test_client()
        colleague.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.8"
        assert sign_in(colleague, "wang.fang").status_code == 302
    finally:
        proxied.extensions["fundpool.db"].engine.dispose()


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(client, admin, snapshot):
    sign_in(client, "wang.fang")
    before = snapshot()
    response = client.post("/users", data={"login": "li.lei", "display_name": "李雷",
                                           "role": "admin", "pool_code": "440304001"})
    assert response.status_code == 400
    assert snapshot() == before


def test_an_invited_person_sets_a_password_once_and_signs_in(client, admin):
    sign_in(client, "wang.fang")
    page = client.get("/users").get_data(as_text=True)
    response = client.post("/users", data={"login": "li.lei", "display_name": "李雷",
                                           "role": "admin", "pool_code": "440304001",
                                           "csrf_token": csrf_of(page)})
    link = re.search(r'class="invite-link">http://localhost(/invite/[^<]+)<',
                     response.get_data(as_text=True)).group(1)
    client.post("/sign-out", data={"csrf_token": csrf_of(response.get_data(as_text=True))})
    form = client.get(link).get_data(as_text=True)
    short = client.post(link, data={"password": "short", "password_again": "short",
                                    "csrf_token": csrf_of(form)})
    assert short.status_code == 422 and "至少需要 10 个字符" in short.get_data(as_text=True)
    done = client.post(link, data={"password": "a long pass phrase", "csrf_token": csrf_of(form),
                                   "password_again": "a long pass phrase"})
    assert done.status_code == 302
    assert "南园街道" in client.get("/").get_data(as_text=True)
    form = client.get(link).get_data(as_text=True)
    again = client.post(link, data={"password": "another pass phrase", "csrf_token": csrf_of(form),
                                    "password_again": "another pass phrase"})
    assert again.status_code == 422


def test_an_admin_cannot_invite_above_their_pool(client, admin, snapshot):
    sign_in(client, "wang.fang")
    page = client.get("/users").get_data(as_text=True)
    before = snapshot()
    response = client.post("/users", data={"login": "zhao", "display_name": "赵",
                                           "role": "admin", "pool_code": "440300",
                                           "csrf_token": csrf_of(page)})
    assert response.status_code == 422
    assert "不在您的权限范围内" in response.get_data(as_text=True)
    assert snapshot() == before


def test_resetting_access_ends_the_persons_sessions(app, admin, make):
    make.user("li.lei", "admin", "440304001")
    theirs, mine = app.test_client(), app.test_client()
    sign_in(theirs, "li.lei")
    assert theirs.get("/").status_code == 200
    sign_in(mine, "wang.fang")
    page = mine.get("/users").get_data(as_text=True)
    user_id = re.search(r'data-login="li.lei">.*?/users/(\d+)/reset', page, re.DOTALL).group(1)
    mine.post(f"/users/{user_id}/reset", data={"csrf_token": csrf_of(page)})
    assert theirs.get("/").status_code == 302
    assert sign_in(theirs, "li.lei").status_code == 401


def test_english_on_request(client, admin):
    sign_in(client, "wang.fang")
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Raised this month" in page and "¥0.00" in page
    assert "Raised this month" in client.get("/").get_data(as_text=True)


def test_the_language_switch_works_on_a_page_opened_with_lang(client, admin):
    """A shared link to an English page (?lang=en): its switch to Chinese gives Chinese,
    rather than coming back to the same link, which would choose English again."""
    sign_in(client, "wang.fang")
    page = client.get("/dashboard/440304001?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    form = re.search(r'<form method="post" action="(/language/zh_CN)">.*?name="next" '
                     r'value="([^"]*)"', page, re.DOTALL)
    switched = client.post(form.group(1), data={"csrf_token": csrf_of(page),
                                                "next": html.unescape(form.group(2))})
    assert switched.status_code == 302
    assert "lang=" not in switched.headers["Location"]
    assert switched.headers["Location"].startswith("/dashboard/440304001")
    after = client.get(switched.headers["Location"]).get_data(as_text=True)
    assert '<html lang="zh-CN">' in after


def test_an_admin_opens_the_pools_below_but_not_beside_their_own(client, admin):
    sign_in(client, "wang.fang")
    street = client.get("/dashboard/440304001").get_data(as_text=True)
    assert "南园街道" in street and "滨河社区" in street and "上一级" in street
    assert "上一级" not in client.get("/").get_data(as_text=True)
    refused = client.get("/dashboard/440303")
    assert refused.status_code == 403
    assert "不在您的权限范围内" in refused.get_data(as_text=True)


def test_what_someone_typed_comes_back_escaped_in_error_pages(client, admin):
    sign_in(client, "wang.fang")
    refused = client.get("/dashboard/<img src=x onerror=alert(1)>")
    assert refused.status_code == 403
    page = refused.get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    percent = client.get("/dashboard/%25(x)s")
    assert percent.status_code == 403 and "%(x)s" in percent.get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example", "/\t/evil.example", "https://evil.example/",
                                    "/\\evil.example", "/x\r\nLocation: https://evil.example"])
def test_after_sign_in_only_paths_on_this_site(app, admin, target):
    client = app.test_client()
    token = csrf_of(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={"login": "wang.fang", "password": PASSWORD,
                                             "csrf_token": token, "next": target})
    assert response.headers["Location"] == "/"


def test_after_sign_in_back_to_the_page_asked_for(client, admin):
    token = csrf_of(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={"login": "wang.fang", "password": PASSWORD,
                                             "csrf_token": token, "next": "/users?x=1"})
    assert response.headers["Location"] == "/users?x=1"


def test_signing_out_makes_a_copied_session_cookie_worthless(app, admin):
    mine = app.test_client()
    sign_in(mine, "wang.fang")
    cookie = mine.get_cookie("fundpool_session").value
    page = mine.get("/").get_data(as_text=True)
    mine.post("/sign-out", data={"csrf_token": csrf_of(page)})
    thief = app.test_client()
    thief.set_cookie("fundpool_session", cookie, domain="localhost")
    assert thief.get("/").status_code == 302


def test_an_admin_resets_people_below_but_not_a_peer_of_the_same_pool(app, admin, make, db):
    make.user("li.lei", "admin", "440304001")
    make.user("peer", "admin", "440304")
    client = app.test_client()
    sign_in(client, "wang.fang")
    page = client.get("/users").get_data(as_text=True)
    ids = dict(re.findall(r'data-login="([^"]+)">.*?/users/(\d+)/reset', page, re.DOTALL))
    refused = client.post(f"/users/{ids['peer']}/reset", data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 403
    assert sign_in(app.test_client(), "peer").status_code == 302
    done = client.post(f"/users/{ids['li.lei']}/reset", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 200 and "/invite/" in done.get_data(as_text=True)


def test_only_a_city_admin_resets_an_auditor_or_a_foundation_even_one_given_a_pool(
        app, admin, make, snapshot):
    """The new invitation link goes to whoever resets: a district admin who could reset an
    auditor (or a foundation) that was given a pool below it would take over that account."""
    make.user("shen.ji", "auditor", "440304001")
    make.user("ci.shan", "foundation", "440304001")
    client = app.test_client()
    sign_in(client, "wang.fang")
    page = client.get("/users").get_data(as_text=True)
    assert "shen.ji" not in page and "ci.shan" not in page
    csrf = csrf_of(page)
    before = snapshot()
    with app.app_context():
        from fundpool.api.requests import database
        with database().sessions() as session:
            from fundpool.auth.users import find_user
            ids = [find_user(session, login).id for login in ("shen.ji", "ci.shan")]
    for user_id in ids:
        refused = client.post(f"/users/{user_id}/reset", data={"csrf_token": csrf})
        assert refused.status_code == 403 and "/invite/" not in refused.get_data(as_text=True)
    assert snapshot() == before
    assert sign_in(app.test_client(), "shen.ji").status_code == 302
    make.user("city", "admin", "440300")
    city = app.test_client()
    sign_in(city, "city")
    page = city.get("/users").get_data(as_text=True)
    done = city.post(f"/users/{ids[0]}/reset", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 200 and "/invite/" in done.get_data(as_text=True)


def test_console_pages_run_only_our_own_scripts(client, admin):
    sign_in(client, "wang.fang")
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert "form-action 'self'" in policy


def test_invitation_secrets_stay_out_of_the_access_log(client, caplog):
    import logging
    with caplog.at_level(logging.INFO, logger="fundpool.access"):
        client.get("/invite/very-secret-value")
    assert caplog.records and "very-secret-value" not in caplog.text
    assert not any("very-secret-value" in str(getattr(r, "fields", "")) for r in caplog.records)


@pytest.mark.postgres
def test_concurrent_wrong_passwords_are_each_counted_and_one_invite_is_accepted_once(db, make):
    from concurrent.futures import ThreadPoolExecutor

    from fundpool.audit.log import Actor
    from fundpool.auth.users import accept_invite, invite_user
    from fundpool.auth.users import sign_in as check
    from fundpool.errors import FundpoolError
    make.small_city()
    make.user("wang.fang", "admin", "440304")

    def wrong(_):
        with db.sessions() as session:
            try:
                check(session, "wang.fang", "not the password")
            except FundpoolError:
                session.commit()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(wrong, range(8)))
    with db.sessions() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert actions.count("user.locked") == 1
    assert actions.count("user.sign_in_refused") == 3

    with db.transaction() as session:
        _user, secret = invite_user(session, Actor("test"), None, login="li.lei",
                                    display_name="李雷", role="admin", pool_code="440304001")

    def accept(password):
        with db.sessions() as session:
            try:
                accept_invite(session, secret, password)
                session.commit()
                return "accepted"
            except FundpoolError:
                return "refused"
    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(accept, ["first pass phrase", "second pass phrase"]))
    assert results == ["accepted", "refused"]


def test_a_stranger_who_knows_the_name_cannot_lock_the_person_out_of_their_own_browser(app, client,
                                                                                        admin, db):
    own = app.test_client()
    own.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert sign_in(own, "wang.fang").status_code == 302
    own.post("/sign-out", data={"csrf_token": csrf_of(page_text(own, "/"))})
    for _ in range(5):
        sign_in(client, "wang.fang", "not the password")
    assert sign_in(client, "wang.fang").status_code == 401  # strangers are locked out
    assert sign_in(own, "wang.fang").status_code == 302  # the person's own browser is not
    with db.sessions() as session:
        locks = session.scalars(select(AuditEvent.details).where(AuditEvent.action == "user.locked")).all()
    assert [lock["browser"] for lock in locks] == ["unknown"]


def test_wrong_passwords_from_the_person_s_own_browser_lock_that_kind_of_browser_too(app, client,
                                                                                     admin):
    own = app.test_client()
    own.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert sign_in(own, "wang.fang").status_code == 302
    own.post("/sign-out", data={"csrf_token": csrf_of(page_text(own, "/"))})
    for _ in range(5):
        assert sign_in(own, "wang.fang", "not the password").status_code == 401
    assert sign_in(own, "wang.fang").status_code == 401  # a stolen device cookie guesses 5 times
    assert sign_in(client, "wang.fang").status_code == 302  # strangers' lock is separate


def test_resetting_access_makes_every_earlier_browser_a_stranger_again(app, client, admin, db):
    from fundpool.audit.log import Actor
    from fundpool.auth.user_models import User
    from fundpool.auth.users import accept_invite, reset_access
    earlier = app.test_client()
    earlier.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert sign_in(earlier, "wang.fang").status_code == 302
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.login == "wang.fang"))
        secret = reset_access(session, Actor("test"), None, user)
    with db.transaction() as session:
        accept_invite(session, secret, "a brand new pass phrase")
    own = app.test_client()
    own.environ_base["REMOTE_ADDR"] = "203.0.113.10"
    assert sign_in(own, "wang.fang", "a brand new pass phrase").status_code == 302
    own.post("/sign-out", data={"csrf_token": csrf_of(page_text(own, "/"))})
    for _ in range(5):  # the earlier browser's cookie no longer makes it the person's own
        sign_in(earlier, "wang.fang", "not the password")
    assert sign_in(own, "wang.fang", "a brand new pass phrase").status_code == 302
