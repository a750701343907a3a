"""The flask-smorest Api, taught to document and emit problem+json errors."""

from __future__ import annotations

import http

from apispec import BasePlugin
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.routing import IntegerConverter

from fundpool.api import problems


class RequestProblemsPlugin(BasePlugin):
    """Document the problems every request of a kind can meet, whatever its view says.

    A JSON body that is not UTF-8, not JSON or nested too deep is a 400 before any view
    runs (``json_bodies``); a malformed ``Idempotency-Key``, or a key reused with another
    body, is a 422 (``writes``).
    """

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                responses.setdefault("400", http.HTTPStatus(400).name)
            if any(p.get("in") == "header" and p.get("name") == "Idempotency-Key"
                   for p in operation.get("parameters", []) if isinstance(p, dict)):
                responses.setdefault("422", http.HTTPStatus(422).name)


class StoredIntConverter(IntegerConverter):
    """``<int:…>`` in a path, no bigger than a BIGINT column holds.

    A bigger id names nothing, so it is not found (404, and documented as the maximum),
    where passing it on would overflow the database driver (a 500).
    """

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


class FundpoolApi(Api):
    ERROR_SCHEMA = problems.ProblemSchema

    def init_app(self, app, *args, **kwargs):
        app.url_map.converters["int"] = StoredIntConverter
        super().init_app(app, *args, **kwargs)

    def _init_spec(self, *, extra_plugins=None, **kwargs):
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), RequestProblemsPlugin()],
                           **kwargs)

    def _register_responses(self):
        """Register one reusable response per status, all as problem+json."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, problems.MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Any other error", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, problems.MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def handle_http_exception(self, error):
        return problems.from_http(error)


def api_settings(max_request_bytes: int) -> dict:
    return {
        "API_TITLE": "fundpool",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
        "API_SPEC_OPTIONS": {
            "info": {"description": "Ledger of a multi-level charity fund pool "
                                    "(市/区/街道/社区资金池). Every error is application/problem+json."},
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "An API token from `fundpool tokens create`."}}},
            "security": [{"bearerAuth": []}],
        },
        "MAX_CONTENT_LENGTH": max_request_bytes,
    }


def documents_errors(blp, *statuses: int):
    """Document the problem responses of an authenticated operation (401 always)."""
    def decorate(view):
        for status in sorted({401, *statuses}, reverse=True):
            view = blp.alt_response(status, http.HTTPStatus(status).name)(view)
        return view
    return decorate
