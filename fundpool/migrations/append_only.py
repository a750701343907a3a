"""Triggers that make a table append-only: the database refuses UPDATE and DELETE.

Used by migrations for the audit log and, later, the ledger's entries.
The SQL here is frozen with the migrations that call it; do not change it.
"""

from alembic import op

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION fundpool_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: rows are never updated or deleted', TG_TABLE_NAME;
END $$ LANGUAGE plpgsql
"""


def protect(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION fundpool_refuse_change()")
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN "
                   f"SELECT RAISE(ABORT, '{table} is append-only: rows are never updated or "
                   "deleted'); END")


def unprotect(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        return
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")


_PG_TRUNCATE_FUNCTION = """
CREATE OR REPLACE FUNCTION fundpool_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: it is never truncated', TG_TABLE_NAME;
END $$ LANGUAGE plpgsql
"""


def protect_from_truncate(table: str) -> None:
    """PostgreSQL's TRUNCATE skips row triggers, so the append-only tables refuse it with a
    statement trigger of their own. SQLite has no TRUNCATE: its ``DELETE`` without a
    ``WHERE`` still runs the row triggers above."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_TRUNCATE_FUNCTION)
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION fundpool_refuse_truncate()")


def unprotect_from_truncate(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
