from tests.console.browser import browser, live, page, shots  # noqa: F401
