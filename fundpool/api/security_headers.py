"""Headers every response carries, so a browser never reinterprets what the API sends.

- ``X-Content-Type-Options: nosniff``: a CSV or JSON download is never run as a page.
- ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``: no page of ours in a frame.
- ``Content-Security-Policy``: nothing at all for data responses; for the Swagger UI at
  ``/api/v1/docs`` its own scripts and styles from the CDN it loads; for the console's pages
  scripts from our own static files only.
- ``Referrer-Policy: no-referrer``: paths with pool and fund codes never leak onwards.
- ``Cache-Control: no-store`` on every response to a request that carried credentials, unless
  the view set its own: balances and statements stay out of shared caches.
- ``Strict-Transport-Security`` when the request came over HTTPS.
"""

from __future__ import annotations

from flask import Flask, request

DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_CDN = "https://cdn.jsdelivr.net"
PAGE_POLICY = (f"default-src 'none'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; "
               f"style-src 'self' 'unsafe-inline' {DOCS_CDN}; img-src 'self' data: {DOCS_CDN}; "
               "connect-src 'self'; frame-ancestors 'none'")
#: The console's pages: scripts only from our own files (charts read their data from
#: ``<script type="application/json">`` blocks, which are not run), forms only to us.
CONSOLE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                  "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                  "base-uri 'none'; frame-ancestors 'none'")
FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def init_security_headers(app: Flask) -> None:
    app.after_request(_add_headers)


def _add_headers(response):
    response.headers.update(FIXED)
    if request.blueprint == "console":
        policy = CONSOLE_POLICY
    else:
        policy = PAGE_POLICY if response.mimetype == "text/html" else DATA_POLICY
    response.headers["Content-Security-Policy"] = policy
    if "Authorization" in request.headers and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response
