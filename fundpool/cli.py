"""The ``fundpool`` command: database, tokens, pools, serving and the demo."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Iterator

import click
from flask import Flask
from sqlalchemy import select

from fundpool import demo as demo_data
from fundpool import backup as backups
from fundpool import jobs, migrate
from fundpool.app import create_app
from fundpool.audit.log import Actor
from fundpool.auth import tokens as token_service
from fundpool.auth import users as user_service
from fundpool.auth.models import ROLES, ApiToken
from fundpool.db import Database
from fundpool.donations import importer
from fundpool.errors import FundpoolError, InvalidInput
from fundpool.audit.query import AuditFilter
from fundpool.exports import audit_export, ledger_export
from fundpool.ledger.money import format_amount, parse_amount
from fundpool.ledger import verify as ledger_verify
from fundpool.ledger.posting import today as ledger_today
from fundpool.ledger.queries import CodeRange
from fundpool.matching import runs, survey
from fundpool.matching.run_models import MatchingRun
from fundpool.pools import divisions
from fundpool.pools.codes import subtree_bounds
from fundpool.pools.service import get_pool, import_pools
from fundpool.serving import serve as run_server
from fundpool.settings import ConfigError


def _friendly(command):
    """Print configuration and domain errors as one clear line, exit status 2."""
    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (ConfigError, FundpoolError) as exc:
            click.echo(f"fundpool: {exc}", err=True)
            sys.exit(2)
    return wrapper


@contextmanager
def _app(config: dict | None = None) -> Iterator[tuple[Flask, Database]]:
    """The app and its database for one command; connections are closed afterwards."""
    app = create_app(config)
    database = app.extensions["fundpool.db"]
    try:
        yield app, database
    finally:
        database.engine.dispose()


@click.group()
def main() -> None:
    """Books of a multi-level charity fund pool (市/区/街道/社区资金池)."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@_friendly
def db_upgrade() -> None:
    """Bring the database to the newest schema (creates it if empty)."""
    with _app() as (_, database):
        migrate.upgrade(database.engine)
        click.echo(f"database at {migrate.current(database.engine)}: {database.engine.url!r}")


@db.command("current")
@_friendly
def db_current() -> None:
    """Show the database's schema revision and the newest one."""
    with _app() as (_, database):
        click.echo(f"database: {migrate.current(database.engine) or 'empty'}, newest: {migrate.head()}")


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_friendly
def db_backup(file: Path) -> None:
    """Write a consistent backup of the whole database to FILE, while the service runs
    (SQLite: the online backup API; PostgreSQL: pg_dump's custom format)."""
    with _app() as (_, database):
        backups.backup(database.engine, file)
    click.echo(f"backup written to {file} ({file.stat().st_size:,} bytes)")


@db.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_friendly
def db_restore(file: Path) -> None:
    """Restore FILE (made by `fundpool db backup`) into the configured database, which must
    be empty, then verify the restored books; exit 1 if they do not verify."""
    with _app() as (_, database):
        backups.restore(database.engine, file)
        with database.sessions() as session:
            report = ledger_verify.verify(session)
        click.echo(f"restored {file} at schema {migrate.current(database.engine)}; checked "
                   f"{report.entries} entries, {report.postings} postings, "
                   f"{report.accounts} accounts")
    if not report.ok:
        click.echo(f"FAILED: {len(report.problems) + len(report.mismatches)} problem(s) in the "
                   "restored books", err=True)
        sys.exit(1)
    click.echo("OK: every hash, chain and balance verifies")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@_friendly
def db_revision(message: str) -> None:
    """(Developers) write a migration from the difference between models and database."""
    with _app() as (_, database):
        migrate.revision(database.engine, message)


@main.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--pool", "pool_code", help="Pool code; required for an admin token.")
@click.option("--name", required=True, help="Who or what will use the token.")
@_friendly
def tokens_create(role: str, pool_code: str | None, name: str) -> None:
    """Issue a token and print its secret (shown only this once)."""
    with _app() as (_, database):
        with database.transaction() as session:
            token, secret = token_service.create_token(session, Actor.cli(), name=name, role=role,
                                                       pool_code=pool_code)
            click.echo(f"token {token.id} ({role}{' of ' + pool_code if pool_code else ''}): {secret}")


@tokens.command("list")
@_friendly
def tokens_list() -> None:
    """List every token (never the secrets)."""
    with _app() as (_, database):
        with database.sessions() as session:
            for token in session.scalars(select(ApiToken).order_by(ApiToken.id)):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
                click.echo(f"{token.id}\t{token.role}\t{token.pool_code or '-'}\t{state}\t{token.name}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@_friendly
def tokens_revoke(token_id: int) -> None:
    """Revoke a token at once."""
    with _app() as (_, database):
        with database.transaction() as session:
            token = token_service.get_token(session, token_id, lock=True)
            token_service.revoke_token(session, Actor.cli(), token)
        click.echo(f"token {token_id} revoked")


@main.group()
def users() -> None:
    """People who sign in to the web console."""


@users.command("invite")
@click.argument("login")
@click.option("--name", required=True, help="The person's name, as the console shows it.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--pool", "pool_code", help="Pool code; required for an administrator.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True,
              help="Where the console is served, to print the invitation link.")
@_friendly
def users_invite(login: str, name: str, role: str, pool_code: str | None, base_url: str) -> None:
    """Invite a person (the first administrator, say) and print their one-time link."""
    with _app() as (_, database):
        with database.transaction() as session:
            user, secret = user_service.invite_user(session, Actor.cli(), None, login=login,
                                                    display_name=name, role=role,
                                                    pool_code=pool_code)
        click.echo(f"user {user.login} invited; they set a password at (once, within "
                   f"{user_service.INVITE_DAYS} days):")
        click.echo(f"{base_url.rstrip('/')}/invite/{secret}")


@users.command("reset")
@click.argument("login")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True,
              help="Where the console is served, to print the invitation link.")
@_friendly
def users_reset(login: str, base_url: str) -> None:
    """End a person's sessions and print a new one-time link to set a password (for a
    city administrator, whom no one in the console is above)."""
    with _app() as (_, database):
        with database.transaction() as session:
            user = user_service.find_user(session, login)
            if user is None:
                raise InvalidInput(f"there is no user {login!r}", "login")
            secret = user_service.reset_access(session, Actor.cli(), None, user)
        click.echo(f"access of {user.login} reset; they set a new password at (once, within "
                   f"{user_service.INVITE_DAYS} days):")
        click.echo(f"{base_url.rstrip('/')}/invite/{secret}")


@main.group()
def pools() -> None:
    """The pool hierarchy."""


@pools.command("import")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_friendly
def pools_import(path: Path | None) -> None:
    """Create pools from a CSV (code,name,level,parent_code); default: Shenzhen's divisions."""
    rows = divisions.read_file(path) if path else divisions.shenzhen()
    with _app() as (_, database):
        with database.transaction() as session:
            created, kept = import_pools(session, Actor.cli(), rows)
        click.echo(f"{created} pools created, {kept} already present")


@main.group("import")
def import_group() -> None:
    """Bulk imports."""


@import_group.command("donations")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--channel", default="internet_platform", show_default=True,
              type=click.Choice(importer.IMPORT_CHANNELS))
@click.option("--strict", is_flag=True, help="Import nothing if any row is bad.")
@click.option("--expect-rows", type=int, help="Rows the file should have (like a bank batch).")
@click.option("--expect-total", help="CNY total the file should add up to, e.g. 12345.67.")
@_friendly
def import_donations(path: Path, channel: str, strict: bool, expect_rows: int | None,
                     expect_total: str | None) -> None:
    """Import a platform donations file (CSV in UTF-8 or GBK, or XLSX)."""
    settings = importer.Settings(
        channel=channel, strict=strict, expected_rows=expect_rows,
        expected_total=parse_amount(expect_total, "CNY", "expect-total") if expect_total
        else None)
    with _app() as (_, database):
        with click.progressbar(length=1, label="importing", show_pos=True) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)
            report = importer.import_donations(database, Actor.cli(), path, settings, progress)
    _print_report(report)
    if not report.committed or report.rejected_count:
        sys.exit(1)


def _print_report(report) -> None:
    totals = ", ".join(f"{format_amount(v, c)} {c}" for c, v in report.total.items()) or "0"
    if report.stopped:
        click.echo(f"STOPPED: {report.stopped}")
    else:
        click.echo(f"{report.imported} of {report.rows} rows imported ({totals})")
    click.echo(f"{report.duplicate_count} duplicate(s), {report.rejected_count} rejected")
    for line, reason in report.rejected[:50]:
        click.echo(f"  line {line}: {reason}")
    if report.rejected_count > 50:
        click.echo(f"  … and {report.rejected_count - 50} more")


@import_group.command("needs")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Import nothing if any row is bad.")
@_friendly
def import_needs_file(path: Path, strict: bool) -> None:
    """Import a door-to-door survey file into the needs register (CSV in UTF-8 or GBK, or
    XLSX; columns in docs/needs-and-proposals.md)."""
    with _app() as (_, database):
        with click.progressbar(length=1, label="checking", show_pos=True) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)
            report = survey.import_needs(database, Actor.cli(), path,
                                         survey.Settings(strict=strict), progress)
    if report.stopped:
        click.echo(f"STOPPED: {report.stopped}")
    else:
        click.echo(f"{report.imported} of {report.rows} rows imported ({report.people} people, "
                   f"estimated {format_amount(report.estimated_cost, 'CNY')} CNY)")
    click.echo(f"{report.duplicate_count} duplicate(s), {report.rejected_count} rejected")
    for line, reason in report.rejected[:50]:
        click.echo(f"  line {line}: {reason}")
    if report.rejected_count > 50:
        click.echo(f"  … and {report.rejected_count - 50} more")
    if not report.committed or report.rejected_count:
        sys.exit(1)


@main.group("export")
def export_group() -> None:
    """Exports for auditors."""


@export_group.command("ledger")
@click.option("--from", "date_from", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First effective date, YYYY-MM-DD.")
@click.option("--to", "date_to", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Last effective date, YYYY-MM-DD, not after today.")
@click.option("--pool", "pool_code", help="Pool subtree to export; every pool if left out.")
@click.option("--format", "kind", default="csv", show_default=True,
              type=click.Choice(ledger_export.FORMATS))
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="File to write; standard output if left out (then without a progress bar).")
@_friendly
def export_ledger(date_from, date_to, pool_code: str | None, kind: str,
                  output: Path | None) -> None:
    """Export the general ledger (every posting of a date range in a pool subtree) as CSV,
    JSON Lines, XLSX or Beancount (docs/exports.md)."""
    start, end = date_from.date(), date_to.date()
    if end > ledger_today():
        raise InvalidInput(f"--to ({end}) is in the future", "to")
    if start > end:
        raise InvalidInput(f"--from ({start}) is after --to ({end})", "from")
    with _app() as (_, database), database.sessions() as session:
        within = None
        if pool_code:
            pool = get_pool(session, pool_code, field="pool")
            within = CodeRange(*subtree_bounds(pool.code, pool.level_enum))
        scope = ledger_export.LedgerRange(start, end, within)
        if output is None:
            ledger_export.write_export(session, scope, kind, sys.stdout.buffer)
            return
        total = ledger_export.count_postings(session, scope)
        with _open_output(output) as out, click.progressbar(
                length=max(total, 1), label=f"exporting {total} postings", show_pos=True,
                file=sys.stderr) as bar:
            ledger_export.write_export(session, scope, kind, out,
                                       lambda done: bar.update(done - bar.pos))
    click.echo(f"{total} postings written to {output}", err=True)


def _open_output(path: Path):
    """``--output`` opened for writing; a directory that does not exist or may not be
    written is the operator's to fix (exit 2, one line), not a traceback."""
    try:
        return path.open("wb")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}", "output") from exc


@export_group.command("audit-log")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]),
              help="First day, YYYY-MM-DD, China time.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]),
              help="Last day, YYYY-MM-DD, China time.")
@click.option("--action", help="Only events of this action, e.g. donation.create.")
@click.option("--actor", help="Only events by this actor, as the log names it.")
@click.option("--format", "kind", default="csv", show_default=True,
              type=click.Choice(audit_export.FORMATS))
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="File to write; standard output if left out.")
@_friendly
def export_audit_log(date_from, date_to, action: str | None, actor: str | None, kind: str,
                     output: Path | None) -> None:
    """Export the audit log (who did what, when, from which request) as CSV, JSON Lines or
    XLSX, oldest first."""
    wanted = AuditFilter(action=action, actor=actor,
                         day_from=date_from.date() if date_from else None,
                         day_to=date_to.date() if date_to else None)
    with _app() as (_, database), database.sessions() as session:
        if output is None:
            audit_export.write_export(session, wanted, kind, sys.stdout.buffer)
            return
        with _open_output(output) as out:
            audit_export.write_export(session, wanted, kind, out)
    click.echo(f"audit log written to {output}", err=True)


@main.command()
@click.option("--checkpoint", "checkpoint_file", type=click.File("r", encoding="utf-8"),
              help="A checkpoint kept earlier (fundpool checkpoint): prove history before it.")
@_friendly
def verify(checkpoint_file) -> None:
    """Re-check every entry hash, account chain and balance; exit 1 on any problem."""
    checkpoint = _read_checkpoint(checkpoint_file) if checkpoint_file else None
    with _app() as (_, database), database.sessions() as session:
        report = ledger_verify.verify(session, checkpoint)
    click.echo(f"checked {report.entries} entries, {report.postings} postings, "
               f"{report.accounts} accounts" + (" against the checkpoint" if checkpoint else ""))
    if report.ok:
        click.echo("OK: no entry, posting or balance differs from what was posted")
        return
    first = report.first_problem
    if first:
        click.echo(f"FAILED: {len(report.problems)} problem(s); first: entry {first.entry_id}, "
                   f"account {first.account_code}: {first.message}")
    for mismatch in report.mismatches[:20]:
        click.echo(f"FAILED: {mismatch.account_code} {mismatch.what} is {mismatch.maintained}, "
                   f"postings say {mismatch.recomputed}")
    sys.exit(1)


def _read_checkpoint(file) -> dict:
    """The checkpoint in ``file``, in the shape ``fundpool checkpoint`` writes. Anything else
    is the operator's mistake (exit 2, one line), not a verification failure (exit 1): a
    traceback there would read as books that do not verify."""
    try:
        checkpoint = json.load(file)
    except (UnicodeDecodeError, ValueError):
        checkpoint = None
    if not ledger_verify.is_checkpoint(checkpoint):
        raise InvalidInput(f"{file.name} is not a checkpoint: give the JSON that "
                           "'fundpool checkpoint' writes", "checkpoint")
    return checkpoint


@main.command()
@_friendly
def checkpoint() -> None:
    """Print every account's chain head as JSON, to keep outside fundpool."""
    with _app() as (_, database), database.sessions() as session:
        click.echo(json.dumps(ledger_verify.take_checkpoint(session), ensure_ascii=False,
                              indent=1))


@main.command()
@_friendly
def scheduler() -> None:
    """Run the scheduled jobs (hold expiry, idempotency keys, matching) until stopped."""
    with _app() as (app, database):
        settings = app.config["FUNDPOOL"]
        jobs.sweep_holds(database)
        click.echo(f"scheduler: sweeping holds every {settings['hold_sweep_seconds']} s, "
                   f"matching at '{settings['matching_cron']}' (Asia/Shanghai)")
        jobs.build_scheduler(database, settings).start()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@_friendly
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API with gunicorn on the configured database."""
    with _app() as (_, database):
        at, head = migrate.current(database.engine), migrate.head()
        if at != head:
            raise ConfigError(f"the database schema is at {at or 'nothing'}, not {head}; "
                              "run 'fundpool db upgrade' first")
    run_server(host, port, workers)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@_friendly
def demo(host: str, port: int, workers: int) -> None:
    """Load the Shenzhen demo into instance/demo.sqlite3, run matching once, and serve it
    with the scheduler running inside."""
    with _app() as (app, _):
        path = Path(app.instance_path) / "demo.sqlite3"
    config = {"database_url": f"sqlite:///{path}", "demo_sign_in": demo_data.PEOPLE[0][0]}
    with _app(config) as (app, database):
        migrate.upgrade(database.engine)
        with database.transaction() as session:
            created, kept = demo_data.load(session, Actor.cli())
            demo_data.load_money(session, Actor.cli())
            demo_data.load_reserve(session, Actor.cli())
            secret = demo_data.admin_token(session, Actor.cli())
            demo_data.load_people(session, Actor.cli())
            first_run = session.scalar(select(MatchingRun.id)) is None
        if first_run:
            run_id = runs.run_matching(database, Actor.cli())
            with database.transaction() as session:
                demo_data.fund_first_grant(session, Actor.cli(), run_id)
        jobs.build_scheduler(database, app.config["FUNDPOOL"], background=True).start()
    click.echo(f"demo database: {path} ({created} pools created, {kept} already there)")
    click.echo(f"city admin token (深圳市 440300): {secret}")
    click.echo(f"try: curl -H 'Authorization: Bearer {secret}' "
               f"http://{host}:{port}/api/v1/pools/440304")
    click.echo(f"API docs: http://{host}:{port}/api/v1/docs")
    click.echo(f"console: http://{host}:{port}/ opens signed in as the city administrator; "
               f"sign out to try {', '.join(p[0] for p in demo_data.PEOPLE[1:])} "
               f"(password {demo_data.DEMO_PASSWORD})")
    run_server(host, port, workers, config)


@main.group("report")
def report_group() -> None:
    """Reports for auditors (docs/reports.md)."""


@report_group.command("trial-balance")
@click.option("--pool", "pool_code", help="Pool subtree; the city if left out.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Count entries dated up to this day, YYYY-MM-DD; default today.")
@_friendly
def report_trial_balance(pool_code: str | None, as_of) -> None:
    """Print the trial balance (试算平衡表) of a pool subtree; exit 1 if it does not balance."""
    from fundpool.reports.scope import city_code, pool_scope
    from fundpool.reports.trial_balance import table, trial_balance
    day = as_of.date() if as_of else ledger_today()
    if day > ledger_today():
        raise InvalidInput(f"--as-of ({day}) is in the future", "as_of")
    with _app() as (_, database), database.sessions() as session:
        code = pool_code or city_code(session)
        report = trial_balance(session, pool_scope(session, code), day)
    click.echo(f"试算平衡表 trial balance of {code} and below, as of {day}")
    for line in table(report):
        click.echo(line)
    if not report.balanced:
        sys.exit(1)


@main.command("close-year")
@click.argument("year", type=int)
@_friendly
def close_year(year: int) -> None:
    """Close a year that is over (年度结账): income and costs into net assets, dated
    31 December, and the year's months closed; a year already closed is left as it is."""
    from fundpool.ledger.year_end import close_year as close
    with _app() as (_, database), database.transaction() as session:
        outcome = close(session, Actor.cli(), year, ledger_today())
        done = outcome.year_end
        totals = [(t.currency, format_amount(t.unrestricted_change, t.currency),
                   format_amount(t.restricted_change, t.currency)) for t in done.totals]
    if outcome.created:
        click.echo(f"{year} closed: {done.entries} closing entries dated {year}-12-31")
    else:
        click.echo(f"{year} was already closed on {done.closed_at:%Y-%m-%d} by {done.closed_by}; "
                   "nothing posted")
    for currency, unrestricted, restricted in totals:
        click.echo(f"  {currency}: 非限定性净资产 3101 {unrestricted}, 限定性净资产 3102 {restricted}")
