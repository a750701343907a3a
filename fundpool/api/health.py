"""Liveness and readiness, open without a token for load balancers and orchestrators."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from fundpool import migrate
from fundpool.api.problems import problem
from fundpool.api.requests import database

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Liveness and readiness")


class HealthSchema(ma.Schema):
    status = ma.fields.String(metadata={"example": "ok"})


class ReadySchema(ma.Schema):
    status = ma.fields.String(metadata={"example": "ready"})
    schema_revision = ma.fields.String(metadata={"description": "Migration the database is at"})


@blp.route("/health")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is up (it touches no database)."""
        return {"status": "ok"}


@blp.route("/ready")
class Ready(MethodView):
    @blp.doc(security=[])
    @blp.response(200, ReadySchema)
    @blp.alt_response(503, "SERVICE_UNAVAILABLE")
    def get(self):
        """The database answers and its schema is at the newest migration."""
        try:
            with database().engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            revision = migrate.current(database().engine)
        except SQLAlchemyError as exc:
            current_app.logger.warning("readiness: database unreachable: %s", exc)
            return problem(503, "The database cannot be reached.", slug="not-ready")
        head = current_app.extensions["fundpool.schema_head"]
        if revision != head:
            return problem(503, f"The database schema is at {revision or 'nothing'}, not {head}; "
                                "run 'fundpool db upgrade'.", slug="not-ready")
        return {"status": "ready", "schema_revision": revision}
