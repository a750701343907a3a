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
