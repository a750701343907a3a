"""Minimal WSGI apps for benchmarks/load_floor_bench.py: the floor of the fixed stack.

Not part of fundpool. Each is a bare Flask app (no flask-smorest, no marshmallow, no
authentication, no business checks) served by gunicorn with config/gunicorn.conf.py, whose one
view, ``POST /api/v1/donations``, parses the JSON body and then, by ``FLOOR_MODE``:

- ``psycopg`` (F1): runs load_bench's raw writer's exact transaction (``RawWriter.write``, the
  same rows, statements, locks and hashes) on one plain psycopg connection per worker, opened
  when the worker loads the app;
- ``core`` (F2): the same statements through SQLAlchemy Core — one engine per worker (pool of
  one connection, opened at worker start), ``with engine.connect()`` per request, each ``%s``
  statement turned once into a ``text()`` with named binds and executed with
  ``Connection.execute``;
- ``core-held`` (F2h): as ``core`` but one ``engine.connect()`` held for the worker's life (no
  pool checkout per request) — the least SQLAlchemy can do;
- ``none`` (F3): answers at once, no database — HTTP, gunicorn and Flask alone.

It answers 201 with ``{"id": <donation id>}``. ``GET /api/v1/ready`` answers 200 (the
benchmark's readiness check). Configuration comes from the environment the benchmark sets:
FLOOR_MODE, FLOOR_DSN (libpq), FLOOR_URL (SQLAlchemy), FLOOR_STREETS (comma-separated),
FLOOR_DONOR, FLOOR_TOKEN_ID. Run it only through the benchmark:

    python benchmarks/load_floor_bench.py --seconds 15 --rounds 2
"""

from __future__ import annotations

import os
import re

import psycopg
from flask import Flask, request
from load_bench import RawWriter
from sqlalchemy import create_engine, text

_PLACEHOLDER = re.compile(r"%s(?:::(\w+))?")


def _named(sql: str) -> str:
    """psycopg's ``%s`` (and ``%s::type``) as SQLAlchemy ``:p0``… binds (``CAST(:p0 AS type)``:
    ``text()`` would read ``:p0::int`` as a bind named ``p``)."""
    count = iter(range(1000))

    def bind(match: re.Match) -> str:
        name = f":p{next(count)}"
        return f"CAST({name} AS {match.group(1)})" if match.group(1) else name

    return _PLACEHOLDER.sub(bind, sql)


class CoreConnection:
    """psycopg's ``execute(sql, params)`` / ``commit()`` over a SQLAlchemy Core Connection
    (``conn``, set per request or held), so RawWriter.write runs unchanged through Core."""

    def __init__(self) -> None:
        self.conn = None
        self.statements: dict[str, object] = {}

    def execute(self, sql: str, params=()):
        statement = self.statements.get(sql)
        if statement is None:
            statement = self.statements[sql] = text(_named(sql))
        return self.conn.execute(statement, {f"p{i}": v for i, v in enumerate(params)})

    def commit(self) -> None:
        self.conn.commit()


def create_app() -> Flask:
    mode = os.environ["FLOOR_MODE"]
    streets = os.environ["FLOOR_STREETS"].split(",")
    donor, token_id = int(os.environ["FLOOR_DONOR"]), int(os.environ["FLOOR_TOKEN_ID"])
    app = Flask(__name__)
    write = None
    if mode == "psycopg":
        conn = psycopg.connect(os.environ["FLOOR_DSN"])
        writers = {s: RawWriter("", s, donor, token_id, conn=conn) for s in streets}

        def write(street: str) -> int:
            return writers[street].write(0)
    elif mode in ("core", "core-held"):
        engine = create_engine(os.environ["FLOOR_URL"], pool_size=1, max_overflow=0)
        core = CoreConnection()
        core.conn = engine.connect()
        writers = {s: RawWriter("", s, donor, token_id, conn=core) for s in streets}
        if mode == "core":
            core.conn.close()  # back to the pool, still open

            def write(street: str) -> int:
                with engine.connect() as conn:
                    core.conn = conn
                    return writers[street].write(0)
        else:
            def write(street: str) -> int:
                return writers[street].write(0)
    elif mode != "none":
        raise ValueError(f"FLOOR_MODE {mode!r}")

    @app.get("/api/v1/ready")
    def ready():
        return {"status": "ok"}

    @app.post("/api/v1/donations")
    def donate():
        body = request.get_json()
        if write is None:
            return {"fund": body["fund"]}, 201
        return {"id": write(body["fund"])}, 201

    return app
