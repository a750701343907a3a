"""In a real browser: an auditor signs in, opens the ledger exports and downloads the
ledger of a street as CSV, with a progress bar that ends full; the file holds the header
and the street's gifts."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.console.reports_scene import ELDER, STREET, books
from tests.console.test_browser_sign_in import sign_in


def test_an_auditor_downloads_the_ledger(page, db, make, shenzhen, shots):
    scene = books(db, make)
    make.user("shen.ji", "auditor")
    sign_in(page, "shen.ji")
    page.get_by_role("link", name="账簿导出").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("账簿导出")
    day = scene.day.isoformat()
    page.get_by_label("起始日期").fill(day)
    page.get_by_label("截止日期").fill(day)
    page.get_by_label("资金池编码（留空：可查看的全部）").fill(STREET)
    page.get_by_label("格式").select_option("csv")
    page.screenshot(path=shots / "auditor-export.png", full_page=True)
    with page.expect_download() as downloading:
        page.get_by_role("button", name="下载账簿").click()
    download = downloading.value
    expect(page.get_by_role("status").filter(has_text="已下载")).to_contain_text("条分录")
    bar = page.locator("#export-bar")
    assert bar.evaluate("bar => bar.value === bar.max && bar.max > 0")
    assert download.suggested_filename == f"ledger-{STREET}-{day}-{day}.csv"
    lines = download.path().read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("分录编号 / entry_id,记账日期 / effective_date")
    assert any(f"{ELDER}:1002:CNY" in line and "5000.00" in line for line in lines)
