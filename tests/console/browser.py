"""Serving the app on loopback for a real browser (Debian's Chromium through Playwright).

Each browser test gets the app on a free port of 127.0.0.1, in a thread of the test
process, over the test's own clean database, and a fresh browser context (no cookies).
Screenshots go to the test run's output folder (``FUNDPOOL_TEST_SCREENSHOTS`` or the
pytest temporary folder), one per flow; tests assert on the page, not on the pictures.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Self

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("FUNDPOOL_TEST_CHROMIUM", "/usr/bin/chromium")


class LiveServer:
    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.thread.join()


@pytest.fixture
def live(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, live, shots):
    context = browser.new_context(base_url=live.url, locale="zh-CN",
                                  timezone_id="Asia/Shanghai",
                                  viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("FUNDPOOL_TEST_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path
