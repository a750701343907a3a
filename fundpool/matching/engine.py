"""The entry point: ``match(problem) -> Solution``.

1. ``Graph.build``: eligibility, pruned, sorted by id (the input's order never matters).
2. ``Graph.components``: parts sharing no need and no fund are solved on their own (the
   lexicographic optimum of the whole is the union of the parts' optima).
3. Each part: the exact MILP (``solver.solve``) when its model is small enough
   (``EXACT_LIMIT`` variables, chosen by measurement, see docs/matching.md), else — or when HiGHS
   finds nothing in time — the heuristic (``heuristic.solve``).
4. Money in whole fen (``solver.allocate``), then the matches with their reasons.
5. ``verify`` checks every rule on the result; a violation is a bug and raises.
"""

from __future__ import annotations

import time
from collections import defaultdict

from . import heuristic, solver
from .eligibility import Graph, area_code_for, cap, level_index, may_pay, may_serve
from .problem import LEVELS, URGENCIES, Match, Problem, Reason, Share, Solution
from .solver import URANK, Selection, Stage, secondary_cost, urgency_people

SOLVE_SHARE = 0.9  # of the time limit for solving; the rest for whole-fen shares, reasons, checks
EXACT_SHARE = 0.7  # of a part's time for the exact solver when it may need extending
EXACT_LIMIT = 100_000  # model variables (proposals + need edges + fund edges) of one part
REPORT_WEIGHTS = (10_000, 100, 1)  # crisis, priority, routine people in the reported objective


def match(problem: Problem, *, method: str = "auto") -> Solution:
    """Match proposals with needs and funds. ``method``: "auto", "exact" or "heuristic"."""
    if method not in ("auto", "exact", "heuristic"):
        raise ValueError("method must be auto, exact or heuristic")
    start = time.perf_counter()
    deadline = start + problem.time_limit * SOLVE_SHARE
    graph = Graph.build(problem)
    parts = graph.components() if graph.proposals else []
    sizes = [part.size() for part in parts]
    total_size = max(1, sum(sizes))
    stages_total = [[0.0, 0.0, True] for _ in range(3)]
    secondary_ok = True
    used_heuristic = False
    all_matches: list[Match] = []
    secondary_total = 0.0
    part_stats = []
    done_size = 0
    for part, size in zip(parts, sizes):
        now = time.perf_counter()
        # this part's share of the time left, by size
        part_deadline = now + max(0.05, (deadline - now) * size / max(1, total_size - done_size))
        done_size += size
        work = heuristic.work_for(problem.time_limit * SOLVE_SHARE * size / total_size, size)
        use_exact = method == "exact" or (method == "auto" and size <= EXACT_LIMIT)
        selection = None
        how = "heuristic"
        if use_exact:
            # the exact solver gets most of the time; the rest extends its solution if it could
            # not close every stage
            exact_deadline = now + (part_deadline - now) * EXACT_SHARE
            selection = solver.solve(part, time_limit=exact_deadline - now, deadline=exact_deadline)
            how = "exact"
            if selection is None or not all(s.proven for s in selection.stages):
                # out of time: the plain heuristic, and the exact solution extended by it; the
                # lexicographically better one, with the tighter of the valid bounds
                now = time.perf_counter()
                middle = now + (part_deadline - now) * 0.3
                candidates = [heuristic.solve(part, middle, with_bounds=False)]
                if selection is not None:
                    candidates.append(heuristic.solve(part, middle, start_with=selection.assign, with_bounds=False))
                best = max(candidates, key=lambda c: urgency_people(part, c.assign))
                best.stages = heuristic.bounds(part, best.assign, part_deadline)
                if selection is not None:
                    best.stages = _tighter(best.stages, selection.stages)
                    best.stats["extended_exact"] = best is candidates[-1]
                # the bounds first (they hold whatever is served later); the neighbourhoods get
                # the time that is left
                heuristic.polish(part, best, work, part_deadline)
                selection = best
                how = "exact+heuristic"
                used_heuristic = True
        if selection is None:
            selection = heuristic.solve(part, part_deadline, work=work)
            how = "heuristic"
            used_heuristic = True
        allocation, dropped = _money(part, selection)
        for pi in dropped:
            selection.assign.pop(pi, None)
        if dropped:  # rounding cost a proposal: the stage values change and nothing is proven
            values = urgency_people(part, selection.assign)
            selection.stages = [Stage(s.name, float(values[k]), s.bound, False, s.seconds, s.status + "; dropped")
                                for k, s in enumerate(selection.stages)]
            selection.secondary = None
        for k, stage in enumerate(selection.stages):
            stages_total[k][0] += stage.value
            stages_total[k][1] += stage.bound
            stages_total[k][2] = stages_total[k][2] and stage.proven
        secondary_ok = secondary_ok and selection.secondary is not None and selection.secondary.proven
        secondary_total += secondary_cost(part, allocation, selection.assign)
        all_matches.extend(_matches(part, selection.assign, allocation))
        part_stats.append({"method": how, "proposals": len(part.proposals), "needs": len(part.needs),
                           "funds": len(part.funds), "size": size, "dropped_in_rounding": len(dropped),
                           "stages": [s.as_dict() for s in selection.stages],
                           "secondary": selection.secondary.as_dict() if selection.secondary else None,
                           **{k: v for k, v in selection.stats.items() if k != "allocation"}})
    all_matches.sort(key=lambda m: m.proposal_id)
    values = [s[0] for s in stages_total]
    bounds = [max(s[1], s[0]) for s in stages_total]
    gaps = [(b - v) / b if b > 0 else 0.0 for v, b in zip(values, bounds)]
    objective = float(sum(w * v for w, v in zip(REPORT_WEIGHTS, values)))
    bound = float(sum(w * b for w, b in zip(REPORT_WEIGHTS, bounds)))
    proven = all(s[2] for s in stages_total)
    seconds = time.perf_counter() - start
    stats = {
        "needs": len(problem.needs), "proposals": len(problem.proposals), "funds": len(problem.funds),
        "eligible": {"needs": len(graph.needs), "proposals": len(graph.proposals), "funds": len(graph.funds),
                     "cells": len(graph.cells), "fund_edges": len(graph.pay),
                     "need_edges_at_most": graph.serve_estimate()},
        "dropped": graph.dropped, "parts": part_stats, "exact_limit": EXACT_LIMIT,
        "people": dict(zip(URGENCIES, (int(v) for v in values))),
        "bounds": dict(zip(URGENCIES, bounds)), "gaps": dict(zip(URGENCIES, gaps)),
        "secondary_cost": secondary_total, "report_weights": dict(zip(URGENCIES, REPORT_WEIGHTS)),
    }
    solution = Solution(matches=tuple(all_matches), objective=objective, bound=bound, gap=max(gaps),
                        method="heuristic" if used_heuristic else "exact",
                        optimal=proven and secondary_ok and not used_heuristic, seconds=seconds, stats=stats)
    problems = verify(problem, solution)
    if problems:
        raise AssertionError("matching broke its own rules: " + "; ".join(problems[:5]))
    return solution


def _better(part: Graph, a: dict, b: dict) -> bool:
    return urgency_people(part, a) > urgency_people(part, b)


def _tighter(mine: list[Stage], other: list[Stage]) -> list[Stage]:
    """Stage values of ``mine`` with the smaller of the two (valid) bounds."""
    out = []
    for s, o in zip(mine, other):
        bound = max(s.value, min(s.bound, o.bound))
        out.append(Stage(s.name, s.value, bound, int(bound + 1e-6) <= s.value, s.seconds + o.seconds,
                         f"{s.status}; {o.status}", o.nodes))
    return out


def _money(part: Graph, selection: Selection):
    order = sorted(selection.assign, key=lambda pi: _priority(part, selection.assign[pi], pi))
    allocation, dropped = solver.allocate(part, selection.assign, order)
    if dropped and "allocation" in selection.stats:  # the heuristic's own whole-fen shares hold
        return selection.stats["allocation"], []
    return allocation, dropped


def _priority(part: Graph, needs: list[int], pi: int):
    people = [0, 0, 0]
    for ni in needs:
        people[URANK[part.needs[ni].urgency]] += part.needs[ni].people
    budget = part.proposals[pi].budget
    return (-people[0] / budget, -people[1] / budget, -people[2] / budget, pi)


def _matches(part: Graph, assign: dict[int, list[int]], allocation: dict[int, list[tuple[int, int]]]):
    used: dict[int, int] = defaultdict(int)
    for shares in allocation.values():
        for fi, amount in shares:
            used[fi] += amount
    eligible: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pi, fi, c in part.pay:
        eligible[pi].append((fi, c))
    matches = []
    for pi in sorted(assign):
        p = part.proposals[pi]
        needs = sorted(assign[pi], key=lambda ni: part.needs[ni].id)
        people = [0, 0, 0]
        need_reasons = []
        for ni in needs:
            n = part.needs[ni]
            people[URANK[n.urgency]] += n.people
            waited = max(0, (part.on - n.survey_date).days)
            need_reasons.append((n.id, (
                Reason("category_match", (("category", n.category),)),
                Reason("area_match", (("community", n.pool_path[-1]), ("area", area_code_for(n, p) or ""))),
                Reason("urgency", (("level", n.urgency),)),
                Reason("waiting", (("days", waited), ("survey_date", n.survey_date.isoformat()))),
            )))
        total = sum(people)
        shares = []
        mine = dict(allocation.get(pi, ()))
        for fi, amount in allocation.get(pi, ()):
            f = part.funds[fi]
            level = LEVELS[len(f.pool_path) - 1]
            reasons = [Reason("local_first", (("level", level),))]
            more_local = [(gj, c) for gj, c in eligible[pi] if level_index(part.funds[gj]) < level_index(f)]
            if level != "community":
                if not more_local:
                    reasons.append(Reason("no_more_local", (("level", level),)))
                elif all(part.funds[gj].available - used[gj] <= 0 or mine.get(gj, 0) >= c for gj, c in more_local):
                    reasons.append(Reason("more_local_used_up", (("level", level),)))
            if f.categories or f.area:
                reasons.append(Reason("fund_allows", (("categories", ",".join(sorted(f.categories))),
                                                      ("area", ",".join(sorted(f.area))))))
            if f.per_grant_limit is not None and amount == f.per_grant_limit:
                reasons.append(Reason("per_grant_limit", (("limit", f.per_grant_limit),)))
            shares.append(Share(f.id, amount, tuple(reasons)))
        reasons = [Reason("people_served", (("people", total), ("capacity", p.capacity), ("crisis", people[0]),
                                            ("priority", people[1]), ("routine", people[2]))),
                   Reason("cost_per_person", (("amount", (2 * p.budget + total) // (2 * total)), ("people", total)))]
        if len(shares) > 1:
            reasons.append(Reason("co_funded", (("funds", len(shares)),)))
        matches.append(Match(proposal_id=p.id, need_ids=tuple(part.needs[ni].id for ni in needs),
                             shares=tuple(shares), people=total, reasons=tuple(reasons),
                             need_reasons=tuple(need_reasons)))
    return matches


def verify(problem: Problem, solution: Solution) -> list[str]:
    """Every rule of the issue, checked on a solution; returns what is broken (empty: all well)."""
    errors = []
    needs = {n.id: n for n in problem.needs}
    proposals = {p.id: p for p in problem.proposals}
    funds = {f.id: f for f in problem.funds}
    seen_needs: set[int] = set()
    seen_props: set[int] = set()
    drawn: dict[int, int] = defaultdict(int)
    for m in solution.matches:
        p = proposals.get(m.proposal_id)
        if p is None or m.proposal_id in seen_props:
            errors.append(f"proposal {m.proposal_id} unknown or twice")
            continue
        seen_props.add(p.id)
        if not m.need_ids:
            errors.append(f"proposal {p.id} funded without a need")
        people = 0
        for nid in m.need_ids:
            n = needs.get(nid)
            if n is None or nid in seen_needs:
                errors.append(f"need {nid} unknown or served twice")
                continue
            seen_needs.add(nid)
            people += n.people
            if not may_serve(p, n):
                errors.append(f"proposal {p.id} may not serve need {nid}")
        if people > p.capacity or people != m.people:
            errors.append(f"proposal {p.id}: {people} people, capacity {p.capacity}, reported {m.people}")
        if sum(s.amount for s in m.shares) != p.budget:
            errors.append(f"proposal {p.id}: shares do not sum to the budget")
        for s in m.shares:
            f = funds.get(s.fund_id)
            if f is None or not may_pay(f, p, problem.on):
                errors.append(f"fund {s.fund_id} may not pay for proposal {p.id}")
                continue
            if not isinstance(s.amount, int) or s.amount <= 0 or s.amount > cap(f, p):
                errors.append(f"fund {f.id} share {s.amount} in proposal {p.id} out of bounds")
            drawn[f.id] += s.amount
    for fid, amount in drawn.items():
        if amount > funds[fid].available:
            errors.append(f"fund {fid} pays {amount} of {funds[fid].available}")
    return errors
