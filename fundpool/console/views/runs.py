"""Matching runs: the list (newest first), "run matching now", one run's proposed matches with
their reasons, and an administrator's approve / reject — the API's own core calls."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from fundpool.api.requests import db_session
from fundpool.console.blueprint import bp
from fundpool.console.forms import write
from fundpool.console.signin import signed_in, viewer
from fundpool.console.views.matching import (
    PAGE_SIZE,
    decider,
    reader,
    status_of,
    whole,
    within,
)
from fundpool.matching import approval, runs
from fundpool.matching.overview import match_counts, recent_runs, run_matches

RUNS_PAGE = 20


@bp.route("/matching/runs", endpoint="runs")
@signed_in
def runs_list():
    return _runs_page()


@bp.route("/matching/runs", methods=["POST"])
@signed_in
def run_matching_now():
    """The API's POST /matching/runs: run now, in this request, for today."""
    who = viewer()
    runs.require_runner(who)  # a run is city-wide: the city pool's admin only
    run, error = write(lambda session: runs.run_now(session, who.actor))
    if error is not None:
        return _runs_page(error, status_of(error))
    return redirect(url_for("console.run", run_id=run.id))


@bp.route("/matching/runs/<int:run_id>")
@signed_in
def run(run_id: int):
    return _run_page(run_id)


@bp.route("/matching/matches/<int:match_id>/approve", methods=["POST"])
@signed_in
def approve_match(match_id: int):
    """Holds each fund's share; the proposal is funded and its needs matched."""
    who = decider(match_id)
    return _decided(match_id, write(lambda session: approval.approve(
        session, who.actor, match_id)))


@bp.route("/matching/matches/<int:match_id>/reject", methods=["POST"])
@signed_in
def reject_match(match_id: int):
    who = decider(match_id)
    return _decided(match_id, write(lambda session: approval.reject(
        session, who.actor, match_id, request.form.get("reason", ""))))


def _decided(match_id: int, outcome):
    match, error = outcome
    if error is None:
        return redirect(url_for("console.run", run_id=match.run_id, after=match.id - 1,
                                _anchor=f"match-{match.id}"))
    run_id = approval.get_match(db_session(), match_id).run_id
    return _run_page(run_id, error, status_of(error), failed_match=match_id)


def _runs_page(error=None, status: int = 200):
    who = reader()
    page = recent_runs(db_session(), before=whole("before"), limit=RUNS_PAGE)
    next_url = url_for("console.runs", before=page.next_after) if page.next_after else None
    counts = match_counts(db_session(), [run.id for run in page.items])
    return render_template("console/matching_runs.html", page=page, next_url=next_url,
                           counts=counts, error=error, may_run=runs.may_run(who)), status


def _run_page(run_id: int, error=None, status: int = 200, failed_match: int | None = None):
    who = reader()
    found = runs.get_run(db_session(), run_id)
    after = failed_match - 1 if failed_match else whole("after")
    page = run_matches(db_session(), run_id, within=within(who), after=after, limit=PAGE_SIZE)
    deciders = {match.id for match in page.items if approval.may_decide(who, match)}
    return render_template("console/matching_run.html", run=found, matches=page.items,
                           next_url=_next(run_id, page.next_after), args=request.args,
                           deciders=deciders, error=error, failed_match=failed_match,
                           form=request.form if error else {}), status


def _next(run_id: int, after: int | None) -> str | None:
    """The run's next page with its filter kept (also after a refused decision's POST)."""
    if after is None:
        return None
    kept = {"within": request.args["within"]} if request.args.get("within") else {}
    return url_for("console.run", run_id=run_id, after=after, **kept)
