"""A matching run: read what is open, let the engine decide, record what it proposes.

The run is recorded as ``running`` first (so anyone can see one is under way), the
inputs are read in one short transaction, the engine solves with no session open,
and the result is written in another transaction that also retires the matches of
earlier runs nobody decided on (``superseded``): only the newest run's proposals
can be approved. A run changes no money and no need or proposal; a failure is kept
on the run with its message.

What the engine sees is what is free now: open needs, proposals in reserve, and for
each open fund the *available* CNY on its bank account (balance less holds), so a
later run never proposes money already held or needs already matched.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, insert, select, text, update
from sqlalchemy.orm import Session

from fundpool.audit.log import Actor, record
from fundpool.auth.principal import Principal, require_role
from fundpool.db import Database, utcnow
from fundpool.errors import Forbidden, NotFound
from fundpool.funds.models import Fund
from fundpool.ledger.models import Account
from fundpool.ledger.posting import today
from fundpool.matching import problem
from fundpool.matching.inputs import as_payer, load_inputs
from fundpool.matching.run_models import MatchingRun, RunMatch, RunMatchNeed, RunShare

log = logging.getLogger("fundpool.matching")
#: The message of a scheduled run marked failed because its scheduler stopped during it.
INTERRUPTED = "interrupted: the scheduler stopped during the run"


def get_run(session: Session, run_id: int) -> MatchingRun:
    run = session.get(MatchingRun, run_id)
    if run is None:
        raise NotFound("there is no matching run {run}", "run_id", run=run_id)
    return run


def run_matching(database: Database, actor: Actor, on: date | None = None,
                 time_limit: float = 50.0) -> int:
    """The scheduled run: no transaction stays open while the engine solves. The run's id
    (its status says how it went)."""
    with database.transaction() as session:
        run = MatchingRun(trigger="schedule", triggered_by=actor.name)
        session.add(run)
        session.flush()
        run_id = run.id
    try:
        with database.transaction() as session:
            inputs = read_problem(session, on or today(), time_limit)
        solution = _solve(inputs)
        with database.transaction() as session:
            _record(session, actor, run_id, inputs, solution)
    except Exception as exc:  # noqa: BLE001 - the run must end in a state it shows
        log.exception("matching run %s failed", run_id)
        with database.transaction() as session:
            session.execute(update(MatchingRun).where(MatchingRun.id == run_id).values(
                status="failed", finished_at=utcnow(), message=str(exc)[:500]))
    return run_id


def fail_interrupted(session: Session) -> list[int]:
    """Mark failed the scheduled runs still ``running``: their scheduler died while it
    solved (killed, the machine lost power), so no one will finish them. Call it only
    while holding the matching job's lock (``fundpool.job_lock``): then no scheduled run
    can be under way anywhere. A run asked for over the API is one transaction and is
    never left behind."""
    ids = list(session.scalars(select(MatchingRun.id).where(
        MatchingRun.trigger == "schedule", MatchingRun.status == "running")))
    if ids:
        session.execute(update(MatchingRun).where(MatchingRun.id.in_(ids)).values(
            status="failed", finished_at=utcnow(),
            message=INTERRUPTED))
    return ids


def last_scheduled_start(session: Session) -> datetime | None:
    """When the newest scheduled run that had its go began, or None if none did."""
    return session.scalar(select(func.max(MatchingRun.started_at)).where(_had_its_go()))


def any_scheduled_run(session: Session) -> bool:
    """Whether the schedule ever started a run, even one cut off."""
    return session.scalar(select(MatchingRun.id).where(MatchingRun.trigger == "schedule")
                          .limit(1)) is not None


def _had_its_go() -> ColumnElement[bool]:
    """A scheduled run that ended by itself, done or failed: the engine's failure is that
    matching time's outcome, and running it again at every restart of the scheduler would
    loop on it. Not a run cut off by a stopped scheduler: still ``running``, or marked
    failed since as interrupted; that matching time still wants its run."""
    return and_(MatchingRun.trigger == "schedule", MatchingRun.status != "running",
                MatchingRun.message.is_distinct_from(INTERRUPTED))


def require_runner(principal: Principal) -> None:
    """Only an admin of the city (root) pool runs matching on demand. A run is city-wide:
    it reads every open need and proposal and supersedes every match nobody has decided on,
    so a district's or a community's admin asking for one would withdraw the matches other
    admins are deciding on. The API and the console ask the same question."""
    require_role(principal, "admin")
    if not principal.is_root_admin:
        raise Forbidden("only an admin of the city pool may run matching now: a run is "
                        "city-wide and replaces every proposed match nobody has decided on, "
                        "in every pool; you administer pool {own}", own=principal.pool_code)


def may_run(principal: Principal) -> bool:
    """Whether ``principal`` may run matching now (the console offers the button)."""
    try:
        require_runner(principal)
    except Forbidden:
        return False
    return True


def run_now(session: Session, actor: Actor, on: date | None = None,
            time_limit: float = 50.0) -> MatchingRun:
    """A run asked for by a person, in the caller's transaction (the API's): read, solve,
    record. The transaction stays open while the engine solves (milliseconds at a
    street's scale; on SQLite other writers wait meanwhile)."""
    run = MatchingRun(trigger="person", triggered_by=actor.name)
    session.add(run)
    session.flush()
    inputs = read_problem(session, on or today(), time_limit)
    _record(session, actor, run.id, inputs, _solve(inputs))
    return run


def _solve(inputs: problem.Problem) -> problem.Solution:
    """The engine, imported here and not at the top: it loads scipy, which would add most
    of a second to every start of the web app and of each ``fundpool`` command."""
    from fundpool.matching.engine import match

    return match(inputs)


def read_problem(session: Session, on: date, time_limit: float) -> problem.Problem:
    needs, proposals = load_inputs(session, on)
    return problem.Problem(
        needs=tuple(problem.Need(
            id=n.id, pool_path=n.pool_path, category=n.category, people=n.people,
            urgency=n.urgency, estimated_cost=n.estimated_cost, survey_date=n.survey_date)
            for n in needs),
        proposals=tuple(problem.Proposal(
            id=p.id, categories=p.categories, area=p.area, area_paths=p.area_paths,
            budget=p.budget, capacity=p.capacity, submitted_on=p.submitted_on)
            for p in proposals),
        funds=_funds(session), on=on, time_limit=time_limit)


def _funds(session: Session) -> tuple[problem.Fund, ...]:
    """Every open fund with CNY available on its bank account (balance less holds)."""
    available = Account.balance - Account.pending
    rows = session.execute(
        select(Fund, available).join(Account, Account.code == Fund.code + ":1002:CNY")
        .where(Fund.closed_at.is_(None), available > 0).order_by(Fund.id)).all()
    return tuple(as_payer(fund, int(money)) for fund, money in rows)


def _record(session: Session, actor: Actor, run_id: int, inputs: problem.Problem,
            solution: problem.Solution) -> None:
    """Write the run's figures and its proposed matches, and retire what earlier runs
    proposed. Only the newest run's matches stay ``proposed``: runs record one at a time
    (on PostgreSQL under a transaction-level advisory lock; SQLite's writer lock does it),
    a run retires the proposals of older runs only, and a run that finishes after a newer
    one has finished records its own matches as ``superseded`` at once.

    The matches go in as bulk INSERTs, not ORM objects: a city's run proposes thousands
    of matches serving about 100,000 needs, which the unit of work took 12-27 s to write."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('fundpool.matching.record'))"))
    session.execute(update(RunMatch).where(RunMatch.status == "proposed",
                                           RunMatch.run_id < run_id)
                    .values(status="superseded"))
    newer = session.scalar(select(MatchingRun.id).where(MatchingRun.id > run_id,
                                                        MatchingRun.status == "done").limit(1))
    _insert_matches(session, run_id, inputs, solution.matches,
                    "proposed" if newer is None else "superseded")
    run = session.get(MatchingRun, run_id)
    run.status, run.finished_at = "done", utcnow()
    run.needs_seen, run.proposals_seen = len(inputs.needs), len(inputs.proposals)
    run.funds_seen = len(inputs.funds)
    run.objective, run.bound, run.gap = solution.objective, solution.bound, solution.gap
    run.method, run.optimal, run.seconds = solution.method, solution.optimal, solution.seconds
    run.stats = {key: value for key, value in solution.stats.items() if _is_json(value)}
    if newer is not None:
        run.message = f"finished after the newer run {newer}; its matches are superseded"
    session.flush()
    record(session, actor, "matching.run", "matching_run", run_id,
           matches=len(solution.matches), objective=solution.objective, gap=solution.gap)


def _insert_matches(session: Session, run_id: int, inputs: problem.Problem,
                    matches: tuple[problem.Match, ...], status: str) -> None:
    if not matches:
        return
    budgets = {p.id: p.budget for p in inputs.proposals}
    ids = session.scalars(
        insert(RunMatch.__table__).returning(RunMatch.__table__.c.id,
                                             sort_by_parameter_order=True),
        [{"run_id": run_id, "proposal_id": found.proposal_id, "people": found.people,
          "budget": budgets[found.proposal_id], "reasons": _plain(found.reasons),
          "status": status, "paid": 0} for found in matches]).all()
    needs, shares = [], []
    for match_id, found in zip(ids, matches, strict=True):
        reasons = dict(found.need_reasons)
        needs += [{"match_id": match_id, "need_id": need_id,
                   "reasons": _plain(reasons.get(need_id, ()))} for need_id in found.need_ids]
        shares += [{"match_id": match_id, "position": index, "fund_id": share.fund_id,
                    "amount": share.amount, "reasons": _plain(share.reasons)}
                   for index, share in enumerate(found.shares)]
    for table, rows in ((RunMatchNeed.__table__, needs), (RunShare.__table__, shares)):
        if rows:
            session.execute(insert(table), rows)


def _is_json(value) -> bool:
    """Whether a figure of the engine's stats can be kept as JSON (per-urgency people,
    bounds and gaps can; internal objects cannot)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _plain(reasons) -> list[dict]:
    """Reasons as JSON: ``[{"code": …, "params": {…}}]``."""
    return [{"code": reason.code, "params": dict(reason.params)} for reason in reasons]


