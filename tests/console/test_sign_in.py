"""Signing in to the console: passwords, sessions, CSRF, invitations, language."""

from __future__ import annotations

import re

import pytest

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


def test_five_wrong_passwords_lock_the_account(client, admin):
    for _ in range(5):
        sign_in(client, "wang.fang", "not the password")
    response = sign_in(client, "wang.fang")
    assert response.status_code == 401
    assert "too many wrong passwords" in response.get_data(as_text=True)


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
    assert "outside your scope" in response.get_data(as_text=True)
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


def test_an_admin_opens_the_pools_below_but_not_beside_their_own(client, admin):
    sign_in(client, "wang.fang")
    street = client.get("/dashboard/440304001").get_data(as_text=True)
    assert "南园街道" in street and "滨河社区" in street and "上一级" in street
    assert "上一级" not in client.get("/").get_data(as_text=True)
    refused = client.get("/dashboard/440303")
    assert refused.status_code == 403
    assert "outside your scope" in refused.get_data(as_text=True)
