"""A whole matching run at city scale on PostgreSQL: read, solve, record.

``matching_bench.py`` times the engine on values in memory. This loads the same instance
(``matching_instances.generate``: the real city, districts and streets, 7-10 illustrative
communities a street) into a fresh database — pools, funds holding their money in their
bank accounts, open needs, proposals in reserve — and times what a run does around the
engine: reading the inputs, solving, and writing the run with its proposed matches, the
needs each serves and the shares of each fund, with their reasons.

It times the scheduler's run (``runs.run_matching``: three transactions, none open while
the engine solves) and the run asked for over the API (``POST /api/v1/matching/runs``
through the app in this process: ``runs.run_now``, one transaction, in the request), each
once, with the process's peak memory. An API run must end inside gunicorn's worker timeout
(``config/gunicorn.conf.py``), or the worker is killed and the run is lost.

    python benchmarks/matching_run_bench.py [--proposals 10000] [--database-url …]

The script creates its own database (``fundpool_bench_<random>``) and drops it at the end.
"""

from __future__ import annotations

import argparse
import resource
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime

import ledger_bench as lb  # benchmarks/ is on sys.path when run as a script
import matching_instances
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from fundpool import create_app, migrate
from fundpool.audit.log import Actor
from fundpool.auth.tokens import create_token
from fundpool.db import Database, make_engine
from fundpool.funds.service import NewFund, Restriction, create_fund
from fundpool.ledger.chart import account_code
from fundpool.ledger.posting import post_batch, today
from fundpool.ledger.values import Line, NewEntry, Side
from fundpool.matching import runs
from fundpool.matching.models import Need, Proposal, ProposalArea, ProposalCategory
from fundpool.matching.run_models import MatchingRun, RunMatch, RunMatchNeed, RunShare
from fundpool.pools.codes import Level
from fundpool.pools.divisions import shenzhen
from fundpool.pools.models import Pool
from fundpool.pools.service import NewPool, import_pools
from fundpool.serving import WORKER_TIMEOUT

ACTOR = Actor("bench")
TIME_LIMIT = 50.0


def pools(session) -> dict[str, int]:
    """Shenzhen's city, districts and streets, and the instance's communities; id by code."""
    divisions = shenzhen()
    _city, _districts, streets = matching_instances.hierarchy()
    communities = [NewPool(code=code, name=f"第{n + 1}社区", level=Level.COMMUNITY,
                           parent_code=street)
                   for street, codes in streets.items() for n, code in enumerate(codes)]
    import_pools(session, ACTOR, divisions + communities)
    return dict(session.execute(select(Pool.code, Pool.id)).all())


def funds(session, problem) -> None:
    """Each fund of the instance, restricted when it has any rule, holding its money."""
    entries = []
    for fund in problem.funds:
        code = f"F{fund.id}-{fund.pool_path[-1]}"  # the instance's codes repeat across levels
        rule = Restriction(categories=tuple(sorted(fund.categories)),
                           area_codes=tuple(sorted(fund.area)), valid_from=fund.valid_from,
                           valid_to=fund.valid_to, per_grant_limit=fund.per_grant_limit)
        create_fund(session, ACTOR, NewFund(
            code=code, name=f"基金 {code}", kind="special",
            pool_code=fund.pool_path[-1], restricted=not rule.is_empty, restriction=rule))
        if fund.available > 0:
            income = "410101" if rule.is_empty else "410102"
            entries.append(NewEntry(kind="donation", effective_date=today(), lines=(
                Line(account_code(code, "1002", "CNY"), Side.DEBIT, fund.available),
                Line(account_code(code, income, "CNY"), Side.CREDIT, fund.available))))
    session.flush()
    post_batch(session, ACTOR, entries)


def needs_and_proposals(session, problem, pool_ids: dict[str, int]) -> None:
    now = datetime.now(UTC)
    session.execute(insert(Need), [
        {"id": need.id, "pool_id": pool_ids[need.pool_path[-1]], "category": need.category,
         "people": need.people, "urgency": need.urgency, "estimated_cost": need.estimated_cost,
         "survey_date": need.survey_date, "status": "open", "created_by": ACTOR.name,
         "created_at": now, "status_changed_at": now} for need in problem.needs])
    rows, areas, categories = [], [], []
    for proposal in problem.proposals:
        ancestors = {path[:-1] if len(path) == 4 else path for path in proposal.area_paths}
        home = ancestors.pop()[-1] if len(ancestors) == 1 else proposal.area_paths[0][1]
        rows.append({"id": proposal.id, "pool_id": pool_ids[home],
                     "organisation": "深圳市某社工服务中心", "title": f"项目 {proposal.id}",
                     "budget": proposal.budget, "capacity": proposal.capacity,
                     "duration_days": 180, "status": "in_reserve",
                     "submitted_on": proposal.submitted_on, "created_by": ACTOR.name,
                     "created_at": now, "status_changed_at": now})
        areas += [{"proposal_id": proposal.id, "pool_id": pool_ids[code]}
                  for code in sorted(proposal.area)]
        categories += [{"proposal_id": proposal.id, "category": category}
                       for category in sorted(proposal.categories)]
    session.execute(insert(Proposal), rows)
    session.execute(insert(ProposalArea), areas)
    session.execute(insert(ProposalCategory), categories)
    for table in ("needs", "proposals"):
        session.connection().exec_driver_sql(
            f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")


def recorded(db: Database, run_id: int) -> str:
    with db.sessions() as session:
        run = session.get(MatchingRun, run_id)
        counts = [session.scalar(select(func.count()).select_from(RunMatch)
                                 .where(RunMatch.run_id == run_id))]
        counts += [session.scalar(select(func.count()).select_from(model)
                                  .join(RunMatch, RunMatch.id == model.match_id)
                                  .where(RunMatch.run_id == run_id))
                   for model in (RunMatchNeed, RunShare)]
        people = run.stats.get("people", {}) if run.stats else {}
        note = f"; {run.message}" if run.message else ""
        return (f"status {run.status}, {run.method}, engine {run.seconds:.1f} s, gap "
                f"{100 * run.gap:.2f} %; people {people}; rows: {counts[0]:,} matches, "
                f"{counts[1]:,} needs, {counts[2]:,} shares{note}")


def timed(phases: dict[str, float], name: str, work):
    """``work`` wrapped to add its wall time to ``phases[name]``."""
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return work(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - began
    return wrapper


def phases_of(phases: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())


def run(url: str, proposals: int, workdir: str) -> bool:
    db = Database(make_engine(url))
    migrate.upgrade(db.engine)
    started = time.perf_counter()
    problem = matching_instances.generate(proposals, time_limit=TIME_LIMIT)
    with db.transaction() as session:
        pool_ids = pools(session)
        funds(session, problem)
        needs_and_proposals(session, problem, pool_ids)
    print(f"loaded {len(problem.proposals):,} proposals, {len(problem.needs):,} needs, "
          f"{len(problem.funds):,} funds, {len(pool_ids):,} pools in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    with db.transaction() as session:
        began = time.perf_counter()
        inputs = runs.read_problem(session, matching_instances.ON, TIME_LIMIT)
        read = time.perf_counter() - began
    print(f"read the inputs: {read:.1f} s ({len(inputs.needs):,} needs, "
          f"{len(inputs.proposals):,} proposals, {len(inputs.funds):,} funds with money)",
          flush=True)
    with db.transaction() as session:
        _token, secret = create_token(session, ACTOR, name="bench", role="admin",
                                      pool_code=matching_instances.hierarchy()[0])
    app = create_app({"database_url": url, "secret_key": secrets.token_hex(16),
                      "log_level": "WARNING", "instance_folder": workdir})
    phases: dict[str, float] = {}
    originals = runs.read_problem, runs._solve, runs._record
    runs.read_problem, runs._solve, runs._record = (
        timed(phases, name, work) for name, work in zip(("read", "solve", "record"), originals))
    try:
        began = time.perf_counter()
        scheduled = runs.run_matching(db, ACTOR, on=matching_instances.ON, time_limit=TIME_LIMIT)
        total = time.perf_counter() - began
        print(f"scheduled run: {total:.1f} s in all ({phases_of(phases)}); "
              f"{recorded(db, scheduled)}", flush=True)
        phases.clear()
        began = time.perf_counter()
        response = app.test_client().post(
            "/api/v1/matching/runs", json={"on": matching_instances.ON.isoformat()},
            headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "bench-run"})
        api = time.perf_counter() - began
    finally:
        runs.read_problem, runs._solve, runs._record = originals
    if response.status_code != 201:
        raise RuntimeError(f"the run answered {response.status_code}: {response.json}")
    print(f"API run (POST /api/v1/matching/runs, in process): {api:.1f} s in all "
          f"({phases_of(phases)}), {len(response.data):,} bytes answer; "
          f"{recorded(db, response.json['id'])}", flush=True)
    app.extensions["fundpool.db"].engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MiB")
    inside = api < WORKER_TIMEOUT
    print(f"{'PASS' if inside else 'FAIL'} API run inside gunicorn's {WORKER_TIMEOUT} s "
          f"worker timeout: {api:.1f} s")
    db.engine.dispose()
    return inside


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=lb.DEFAULT_SERVER)
    parser.add_argument("--proposals", type=int, default=10_000)
    args = parser.parse_args()
    server = make_url(args.database_url)
    if server.get_backend_name() != "postgresql":
        parser.error("--database-url must be a PostgreSQL URL")
    name = lb.create_database(server)
    print(f"database {name} on {server.host}:{server.port or 5432}", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="fundpool-runbench-") as workdir:
            ok = run(server.set(database=name).render_as_string(hide_password=False),
                     args.proposals, workdir)
    finally:
        lb.drop_database(server, name)
        print(f"dropped database {name}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
