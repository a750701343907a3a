"""In a real browser: an administrator signs in, reads the dashboard, switches language."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.factories import PASSWORD


def sign_in(page, login: str, password: str = PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("登录名").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_admin_signs_in_sees_the_dashboard_and_switches_to_english(page, shenzhen, make, shots):
    make.user("wang.fang", "admin", "440304")
    sign_in(page, "wang.fang")
    expect(page.get_by_role("heading", level=1)).to_contain_text("福田区")
    expect(page.locator("tr[data-pool='440304001']")).to_contain_text("南园街道")
    page.screenshot(path=shots / "dashboard-zh.png", full_page=True)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Pools below")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
