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


def test_signing_in_with_the_keyboard_alone(page, shenzhen, make):
    make.user("wang.fang", "admin", "440304")
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到正文")).to_be_focused()
    page.get_by_label("登录名").focus()
    page.keyboard.type("wang.fang")
    page.keyboard.press("Tab")
    expect(page.get_by_label("密码")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("福田区")


def test_on_a_phone_no_page_is_wider_than_the_screen(page, shenzhen, make, shots):
    make.user("wang.fang", "admin", "440304")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "wang.fang")
    for path in ("/", "/dashboard/440304001", "/users", "/pools/440304", "/needs",
                 "/matching/runs", "/donations/new", "/public"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    page.goto("/")
    page.screenshot(path=shots / "dashboard-phone.png", full_page=True)
