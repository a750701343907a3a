"""Token endpoints: admins issue and revoke tokens within their scope."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.pagination import QUERY, PageArgsSchema, decode_cursor, page_body
from fundpool.api.requests import db_session, principal
from fundpool.api.writes import unit_of_work
from fundpool.api.spec import documents_errors
from fundpool.api.tokens.schemas import (
    NewTokenSchema,
    TokenCreateSchema,
    TokenPageSchema,
    TokenSchema,
)
from fundpool.auth import tokens
from fundpool.auth.issue_rate import check_issue_rate
from fundpool.auth.principal import require_role, require_token_issuer

blp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens",
                description="API tokens: bearer credentials with a role and a pool scope")


@blp.route("")
class Tokens(MethodView):
    @blp.arguments(PageArgsSchema, **QUERY)
    @blp.response(200, TokenPageSchema)
    @documents_errors(blp, 403)
    def get(self, args):
        """List the tokens you may manage (admins)."""
        require_role(principal(), "admin")
        session = db_session()
        return page_body(tokens.list_tokens(session, principal(),
                                            decode_cursor(args["cursor"], int), args["limit"]))

    @unit_of_work(blp)
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, NewTokenSchema)
    @documents_errors(blp, 403, 404, 409, 429)
    def post(self, body):
        """Issue a token. The secret is in this response only; store it now.

        An admin issues admin tokens for pools in its subtree; only a city admin
        issues foundation and auditor tokens. One token issues at most 10 tokens in
        10 minutes; beyond that, 429 with `Retry-After`.
        """
        require_token_issuer(principal(), body["role"], body["pool_code"])
        session = db_session()
        check_issue_rate(session, principal())
        token, secret = tokens.create_token(session, principal().actor, **body)
        shown = {name: getattr(token, name) for name in TokenSchema().fields}
        return {**shown, "token": secret}


@blp.route("/<int:token_id>/revoke")
class RevokeToken(MethodView):
    @unit_of_work(blp)
    @blp.response(200, TokenSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, token_id):
        """Revoke a token at once; requests carrying it get 401 from then on."""
        session = db_session()
        token = tokens.get_token(session, token_id, lock=True)
        require_token_issuer(principal(), token.role, token.pool_code)
        return tokens.revoke_token(session, principal().actor, token)
