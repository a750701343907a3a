"""Pool endpoints: the city/district/street/community hierarchy."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.pagination import QUERY, decode_cursor, page_body
from fundpool.api.pools.schemas import (
    PoolCloseSchema,
    PoolCreateSchema,
    PoolPageSchema,
    PoolQuerySchema,
    PoolSchema,
)
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.api.writes import unit_of_work
from fundpool.auth.principal import require_admin_of
from fundpool.errors import Forbidden
from fundpool.pools import service
from fundpool.pools.codes import Level

blp = Blueprint("pools", __name__, url_prefix="/api/v1/pools",
                description="The pool hierarchy: 市 → 区 → 街道 → 社区")


@blp.route("")
class Pools(MethodView):
    @blp.arguments(PoolQuerySchema, **QUERY)
    @blp.response(200, PoolPageSchema)
    @documents_errors(blp, 404)
    def get(self, args):
        """List pools, ordered by code; filter by level, parent or subtree."""
        session = db_session()
        page = service.list_pools(
            session, level=Level(args["level"]) if "level" in args else None,
            parent_code=args.get("parent"), within=args.get("within"),
            after=decode_cursor(args["cursor"], str), limit=args["limit"])
        return page_body(page)

    @unit_of_work(blp)
    @blp.arguments(PoolCreateSchema)
    @blp.response(201, PoolSchema)
    @documents_errors(blp, 403, 404, 409, 413)
    def post(self, body):
        """Create a pool under its parent (admins, inside their own subtree).

        A new city has no parent and so lies outside every admin's scope: cities are
        created by an operator with `fundpool pools import`.
        """
        if body["parent_code"] is None:
            raise Forbidden("a city pool is created by an operator with 'fundpool pools import', "
                            "not through the API", "parent_code")
        require_admin_of(principal(), body["parent_code"], "parent_code")
        new = service.NewPool(code=body["code"], name=body["name"], name_en=body["name_en"],
                              level=Level(body["level"]), parent_code=body["parent_code"])
        session = db_session()
        return service.create_pool(session, principal().actor, new)


@blp.route("/<string:code>")
class PoolByCode(MethodView):
    @blp.response(200, PoolSchema)
    @documents_errors(blp, 404)
    def get(self, code):
        """Read one pool with its direct children."""
        session = db_session()
        return service.get_pool(session, code, with_children=True)


@blp.route("/<string:code>/close")
class ClosePool(MethodView):
    @unit_of_work(blp)
    @blp.arguments(PoolCloseSchema)
    @blp.response(200, PoolSchema)
    @documents_errors(blp, 403, 404, 409)
    def post(self, body, code):
        """Close a pool (it is never deleted), and its funds with it.

        Every pool below it must be closed first, and none of its funds may still hold money
        or a hold (as for closing a fund). Its funds, its general fund included, then take no
        more gifts or allocations."""
        require_admin_of(principal(), code, "code")
        session = db_session()
        return service.close_pool(session, principal().actor, code, body["reason"])
