"""The HTTP API under /api/v1: parses, authorises, calls the core, renders."""

from __future__ import annotations

from flask import Flask

from fundpool.api import problems
from fundpool.api.audit.resources import blp as audit_blp
from fundpool.api.donations import receipt_export  # noqa: F401  adds /receipts/export
from fundpool.api.donations.imports import blp as imports_blp
from fundpool.api.donations.resources import blp as donations_blp
from fundpool.api.exports.resources import blp as exports_blp
from fundpool.api.funds.allocations import blp as allocations_blp
from fundpool.api.funds.resources import blp as funds_blp
from fundpool.api.grants.resources import blp as matching_blp
from fundpool.api.health import blp as health_blp
from fundpool.api.ledger.accounts import blp as accounts_blp
from fundpool.api.ledger.entries import blp as entries_blp
from fundpool.api.ledger.holds import blp as holds_blp
from fundpool.api.ledger.periods import blp as periods_blp
from fundpool.api.ledger.verification import blp as verification_blp
from fundpool.api.ledger.year_ends import blp as year_ends_blp
from fundpool.api.needs.resources import blp as needs_blp
from fundpool.api.pools.resources import blp as pools_blp
from fundpool.api.proposals.resources import blp as proposals_blp
from fundpool.api.public.resources import blp as public_blp
from fundpool.api.reports import trail  # noqa: F401  adds /reports/funds/{code}/uses, …/trail
from fundpool.api.reports.resources import blp as reports_blp
from fundpool.api.requests import init_requests
from fundpool.api.spec import FundpoolApi, api_settings
from fundpool.api.tokens.resources import blp as tokens_blp
from fundpool.errors import FundpoolError


def init_api(app: Flask, max_request_bytes: int) -> FundpoolApi:
    app.config.update(api_settings(max_request_bytes))
    app.json.ensure_ascii = False
    init_requests(app)
    api = FundpoolApi(app)
    for blueprint in (health_blp, pools_blp, tokens_blp, funds_blp, allocations_blp,
                      donations_blp, imports_blp, accounts_blp, entries_blp, holds_blp, periods_blp,
                      verification_blp, audit_blp, needs_blp, proposals_blp, matching_blp,
                      exports_blp):
        api.register_blueprint(blueprint)
    api.register_blueprint(year_ends_blp)
    api.register_blueprint(reports_blp)
    api.register_blueprint(public_blp)
    app.register_error_handler(FundpoolError, problems.from_domain)
    app.register_error_handler(Exception, problems.internal_error)
    return api
