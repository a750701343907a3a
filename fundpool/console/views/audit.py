"""The auditor's pages: trial balance, activity statement, ledger export downloads,
verification with a clear pass or fail, and the audit log.

Who may open what is the API's rule, read from the same functions: a pool's reports for
auditors (any pool) and admins (their subtree) — fundpool.auth.scope; ledger exports the
same — fundpool.api.ledger.scope.export_subtree; verification and the audit log for
auditors only. The ledger export is streamed as it is written (the API runs no export
jobs), from a session that lives as long as the download.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Response, abort, render_template, request
from flask_babel import lazy_gettext as N_
from sqlalchemy.orm import sessionmaker

from fundpool.api.exports.download import ledger_response
from fundpool.api.ledger.scope import export_subtree, readable_range
from fundpool.api.requests import database, db_session
from fundpool.audit import amounts
from fundpool.audit.models import AuditEvent
from fundpool.audit.query import AuditFilter, events_select
from fundpool.auth.principal import Principal, require_role
from fundpool.auth.scope import require_pool_reader
from fundpool.console.blueprint import bp
from fundpool.console.signin import signed_in, viewer
from fundpool.errors import InvalidInput
from fundpool.exports import audit_export
from fundpool.exports.ledger_export import (
    FORMATS,
    LedgerRange,
    check_days,
    count_postings,
)
from fundpool.ledger.posting import today
from fundpool.ledger.verify import is_checkpoint, verify
from fundpool.paging import keyset_page
from fundpool.reports.activity import ROWS, activity
from fundpool.reports.periods import not_future, parse_day, report_period
from fundpool.reports.scope import city_code, pool_scope
from fundpool.reports.trial_balance import trial_balance

AUDIT_PAGE = 50
AUDIT_FIELDS = ("action", "actor", "target_type", "target_id", "request_id")
MESSAGES = (N_("only auditors verify the ledger and read the audit log"),
            N_("the checkpoint file is not the JSON that 'fundpool checkpoint' writes"))


@bp.route("/audit/trial-balance", endpoint="trial_balance")
@signed_in
def trial_balance_page():
    who = viewer()
    code = _pool_asked(who)
    as_of = parse_day(request.args.get("as_of"), "as_of") or today()
    not_future(as_of, today(), "as_of")
    report = trial_balance(db_session(), _pool_scope(who, code), as_of)
    return render_template("console/audit_trial_balance.html", code=code, report=report)


@bp.route("/audit/activity", endpoint="activity")
@signed_in
def activity_page():
    who = viewer()
    code = _pool_asked(who)
    date_from, date_to = report_period(parse_day(request.args.get("from"), "from"),
                                       parse_day(request.args.get("to"), "to"), today())
    report = activity(db_session(), _pool_scope(who, code), date_from, date_to)
    return render_template("console/audit_activity.html", code=code, report=report, rows=ROWS,
                           date_from=date_from, date_to=date_to)


@bp.route("/audit/exports", endpoint="exports")
@signed_in
def exports_page():
    """The form; with ``count`` the postings the chosen range holds, before downloading."""
    who = viewer()
    readable_range(who)
    start = parse_day(request.args.get("from"), "from") or today().replace(month=1, day=1)
    end = parse_day(request.args.get("to"), "to") or today()
    size = None
    if request.args.get("count"):
        check_days(start, end, today())
        _code, within = export_subtree(db_session(), who, request.args.get("pool") or None)
        size = count_postings(db_session(), LedgerRange(start, end, within))
    return render_template("console/audit_exports.html", start=start, end=end, formats=FORMATS,
                           pool=request.args.get("pool", ""), size=size,
                           chosen=request.args.get("format", "csv"))


@bp.route("/audit/exports/count", endpoint="ledger_count")
@signed_in
def ledger_count():
    """How many postings a download will hold, for the page's progress bar."""
    who = viewer()
    readable_range(who)
    start, end = _required_day("from"), _required_day("to")
    check_days(start, end, today())
    _code, within = export_subtree(db_session(), who, request.args.get("pool") or None)
    return {"postings": count_postings(db_session(), LedgerRange(start, end, within))}


@bp.route("/audit/exports/ledger", endpoint="ledger_download")
@signed_in
def ledger_download():
    """The general ledger of the range and subtree, as the API's export writes it."""
    who = viewer()
    readable_range(who)
    start = _required_day("from")
    end = _required_day("to")
    kind = request.args.get("format", "csv")
    if kind not in FORMATS:
        raise InvalidInput(f"{kind!r} is not one of {', '.join(FORMATS)}", "format")
    check_days(start, end, today())
    code, within = export_subtree(db_session(), who, request.args.get("pool") or None)
    scope = LedgerRange(start, end, within)
    return ledger_response(scope, kind, code)


@bp.route("/audit/verification", methods=["GET", "POST"], endpoint="verification")
@signed_in
def verification_page():
    """Verify on request (it reads every entry): the same check as ``fundpool verify``,
    against a checkpoint file when one is sent."""
    _auditor()
    report = checkpoint = None
    if request.method == "POST":
        checkpoint = _checkpoint()
        report = verify(db_session(), checkpoint)
        db_session().rollback()
    return render_template("console/audit_verification.html", report=report,
                           with_checkpoint=checkpoint is not None)


@bp.route("/audit/log", endpoint="audit_log")
@signed_in
def audit_log_page():
    _auditor()
    wanted = _audit_filter()
    after = request.args.get("after", type=int)
    page = keyset_page(db_session(), events_select(wanted), AuditEvent.id, after, AUDIT_PAGE)
    return render_template("console/audit_log.html", page=page, args=request.args,
                           fields=AUDIT_FIELDS,
                           currencies=amounts.currencies(db_session(), page.items))


@bp.route("/audit/log/export.csv", endpoint="audit_log_download")
@signed_in
def audit_log_download():
    _auditor()
    wanted = _audit_filter()
    response = Response(_audit_chunks(database().sessions, wanted),
                        mimetype=audit_export.MEDIA_TYPES["csv"])
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


def _auditor() -> Principal:
    who = viewer()
    if who.role != "auditor":
        abort(403, description="only auditors verify the ledger and read the audit log")
    return who


def _pool_asked(who: Principal) -> str:
    """The pool a report is asked for; by default an admin's own pool, else the city."""
    code = request.args.get("pool") or None
    if code is None:
        return who.pool_code if who.role == "admin" else city_code(db_session())
    return code


def _pool_scope(who: Principal, code: str):
    """The API's order: the role first, then an unknown pool (404), then the subtree."""
    require_role(who, "admin", "auditor")
    scope = pool_scope(db_session(), code)
    require_pool_reader(who, code)
    return scope


def _required_day(name: str):
    day = parse_day(request.args.get(name), name)
    if day is None:
        raise InvalidInput(f"give the {name} date", name)
    return day


def _audit_filter() -> AuditFilter:
    values = {key: request.args.get(key) or None for key in AUDIT_FIELDS}
    return AuditFilter(**values, day_from=parse_day(request.args.get("from"), "from"),
                       day_to=parse_day(request.args.get("to"), "to"))


def _checkpoint() -> dict | None:
    sent = request.files.get("checkpoint")
    if sent is None or not sent.filename:
        return None
    try:
        checkpoint = json.loads(sent.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        checkpoint = None
    if not is_checkpoint(checkpoint):
        raise InvalidInput("the checkpoint file is not the JSON that 'fundpool checkpoint' "
                           "writes", "checkpoint")
    return checkpoint


def _audit_chunks(sessions: sessionmaker, wanted: AuditFilter) -> Iterator[bytes]:
    with sessions() as session:
        yield from audit_export.chunks(session, wanted, "csv")
