"""Take the README's console screenshots from a fresh `fundpool demo`.

    python docs/screenshots/take.py

Starts the demo in a temporary instance folder on a free port, opens each page in a fresh
browser (Debian's Chromium through Playwright; the demo signs it in as the city
administrator, except on the public page) at desktop or phone size, and writes PNGs beside
this script.
Chinese text needs a CJK font (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
PAGES = (  # (file, path, width, height)
    ("dashboard.png", "/dashboard/440304", 1280, 720),
    ("fund.png", "/funds/PINGAN-440304", 1280, 900),
    ("public-phone.png", "/public", 390, 844),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "FUNDPOOL_INSTANCE_FOLDER": folder, "FUNDPOOL_LOG_LEVEL": "WARNING"}
        env.pop("FUNDPOOL_DATABASE_URL", None)
        command = [sys.executable, "-c", "from fundpool.cli import main; main()", "demo",
                   "--port", str(port), "--workers", "1"]
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) as demo:
            try:
                for line in demo.stdout:
                    if "Listening at" in line:
                        break
                shoot(f"http://127.0.0.1:{port}")
            finally:
                demo.terminate()


def shoot(base: str) -> None:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium")
        for name, path, width, height in PAGES:
            context = browser.new_context(base_url=base, locale="zh-CN",
                                          timezone_id="Asia/Shanghai",
                                          viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=HERE / name)
            print(f"{name}: {base}{path}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
