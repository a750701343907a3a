"""Large-neighbourhood search for the heuristic: a few proposals at a time re-solved exactly.

A *neighbourhood* is a small set of proposals (funded or not) that compete for the same needs.
Everything outside it stays as it is: the other proposals, the needs they serve and the money
they hold. Inside it the choice is free: which of its proposals are funded, which of the needs
that are unserved or served by its members each one serves, and how the money its funded
members hold, plus what no one holds, is spent. HiGHS solves that small MILP (needs pooled in
classes of one cell, urgency and size: an exact reformulation) holding the neighbourhood's
crisis and priority people at least where they are, and maximising crisis, then priority, then
routine people (one objective, its weights exact inside the neighbourhood).

A result is taken only when it serves more people lexicographically (crisis, then priority,
then routine) and its money is found again in whole fen by ``MoneyFlow`` (augmenting paths) from
the neighbourhood's money alone; so every rule holds after each move and the solution only gets
better. HiGHS is deterministic on a given model and the work per model is capped by a node
limit, so the result does not depend on the machine's speed; a wall-clock deadline is only a
safety net (see docs/matching.md, "Determinism").
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from .eligibility import Graph
from .solver import UNIT, URANK, MoneyFlow, SparseRows

SIZE = 20  # proposals per neighbourhood (larger ones serve more people a round but cost more per column)
NODE_LIMIT = 200  # branch-and-bound nodes per neighbourhood model
URGENT_SIZE = 30  # proposals per neighbourhood in the first pass, around unserved urgent needs
URGENT_SHARE = 0.3  # of the work budget that the first pass may use


@dataclass
class State:
    """The current solution: needs per funded proposal, who serves each need, shares, money left."""
    assign: dict[int, list[int]]
    served_by: list[int]
    held: dict[int, list[tuple[int, int]]]
    left: list[int]
    pay_of: dict[int, list[tuple[int, int, int]]]
    stats: dict = field(default_factory=lambda: defaultdict(int))

    @classmethod
    def of(cls, graph: Graph, assign: dict[int, list[int]], allocation: dict[int, list[tuple[int, int]]]):
        served_by = [-1] * len(graph.needs)
        for pi, lst in assign.items():
            for ni in lst:
                served_by[ni] = pi
        left = [f.available for f in graph.funds]
        for pi in assign:
            for fi, amount in allocation[pi]:
                left[fi] -= amount
        pay_of: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for edge in graph.pay:
            pay_of[edge[0]].append(edge)
        return cls({pi: list(v) for pi, v in assign.items()}, served_by,
                   {pi: list(allocation[pi]) for pi in assign}, left, pay_of)


def people_of(graph: Graph, lists) -> list[int]:
    totals = [0, 0, 0]
    for lst in lists:
        for ni in lst:
            totals[URANK[graph.needs[ni].urgency]] += graph.needs[ni].people
    return totals


def street_of(path: tuple[str, ...]) -> str:
    return path[2] if len(path) >= 3 else path[-1]


def neighbourhoods(graph: Graph, round_no: int, size: int = SIZE) -> list[list[int]]:
    """Proposals grouped by the streets whose needs they may serve; a street with more than
    ``size`` of them is cut into chunks of a seeded shuffle (seeded by the street and the round,
    so the same input always gives the same neighbourhoods)."""
    by_street: dict[str, set[int]] = defaultdict(set)
    for pi, cells in enumerate(graph.prop_cells):
        for ci in cells:
            by_street[street_of(graph.cells[ci][0])].add(pi)
    out = []
    for street in sorted(by_street):
        members = sorted(by_street[street])
        if len(members) > size:
            random.Random(f"{street}/{round_no}").shuffle(members)
            chunks = -(-len(members) // size)
            for k in range(chunks):
                out.append(sorted(members[k::chunks]))
        else:
            out.append(members)
    return out


def resolve(graph: Graph, state: State, members: list[int], node_limit: int = NODE_LIMIT,
            time_limit: float = 5.0) -> bool:
    """Re-solve one neighbourhood exactly (within the node limit); apply and return True only if
    the result is lexicographically better and its money is found in whole fen."""
    model = _model(graph, state, members)
    if model is None:
        return False
    res = milp(model.c, integrality=model.integrality, bounds=Bounds(np.zeros(len(model.c)), model.ub),
               constraints=LinearConstraint(model.A, model.lo, model.hi),
               options={"node_limit": node_limit, "time_limit": time_limit, "mip_rel_gap": model.gap})
    state.stats["models"] += 1
    state.stats["work"] += len(model.c)
    if res.x is None:
        return False
    new = _assignment(graph, model, res.x)
    before = people_of(graph, (state.assign[p] for p in members if p in state.assign))
    after = people_of(graph, new.values())
    if after <= before:
        return False
    shares = _pay(graph, state, members, sorted(new))
    if shares is None:
        state.stats["refused_for_money"] += 1
        return False
    _apply(state, members, new, shares)
    state.stats["improved"] += 1
    state.stats["gained"] += after[2] - before[2]
    return True


def _model(graph: Graph, state: State, members: list[int]):
    """The neighbourhood's MILP: ``x`` per member, integer ``y`` per (member, class of free
    needs), money ``z`` per (member, fund with free money); the current solution is feasible."""
    mset = set(members)
    needs = graph.needs
    free = [state.left[fi] for fi in range(len(graph.funds))]
    for p in members:
        for fi, amount in state.held.get(p, ()):
            free[fi] += amount
    cells = sorted({ci for p in members for ci in graph.prop_cells[p]})
    classes: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for ci in cells:
        for ni in graph.cell_needs[ci]:
            if state.served_by[ni] == -1 or state.served_by[ni] in mset:
                classes[(ci, URANK[needs[ni].urgency], needs[ni].people)].append(ni)
    if not classes:
        return None
    keys = sorted(classes)
    by_cell: dict[int, list[int]] = defaultdict(list)
    for k, key in enumerate(keys):
        by_cell[key[0]].append(k)
    P = len(members)
    col_p, col_k = [], []
    for j, p in enumerate(members):
        capacity = graph.proposals[p].capacity
        for ci in graph.prop_cells[p]:
            for k in by_cell.get(ci, ()):
                if keys[k][2] <= capacity:
                    col_p.append(j)
                    col_k.append(k)
    pay = [(pi, fi, c) for p in members for pi, fi, c in state.pay_of[p] if free[fi] > 0]
    pos = {p: j for j, p in enumerate(members)}
    M, G = len(col_p), len(pay)
    col_p = np.array(col_p, dtype=np.int64)
    col_k = np.array(col_k, dtype=np.int64)
    count = np.array([len(classes[key]) for key in keys], dtype=float)
    people = np.array([key[2] for key in keys], dtype=float)
    urg = np.array([key[1] for key in keys], dtype=np.int64)
    fund_ids = sorted({fi for _, fi, _ in pay})
    fpos = {fi: r for r, fi in enumerate(fund_ids)}
    g_p = np.array([pos[pi] for pi, _, _ in pay], dtype=np.int64)
    g_f = np.array([fpos[fi] for _, fi, _ in pay], dtype=np.int64)
    Y, Z = P + np.arange(M), P + M + np.arange(G)
    capacity = np.array([graph.proposals[p].capacity for p in members], dtype=float)
    budget = np.array([graph.proposals[p].budget for p in members], dtype=float) / UNIT
    before = people_of(graph, (state.assign[p] for p in members if p in state.assign))
    block = SparseRows()
    add = block.add
    inf = np.inf
    add(col_k, Y, np.ones(M), np.full(len(keys), -inf), count)  # each class at most its needs
    add(np.concatenate([col_p, np.arange(P)]), np.concatenate([Y, np.arange(P)]),
        np.concatenate([people[col_k], -capacity]), np.full(P, -inf), np.zeros(P))  # capacity
    add(np.concatenate([np.arange(M), np.arange(M)]), np.concatenate([Y, col_p]),
        np.concatenate([np.ones(M), -count[col_k]]), np.full(M, -inf), np.zeros(M))  # y <= count x
    add(np.concatenate([np.arange(P), col_p]), np.concatenate([np.arange(P), Y]),
        np.concatenate([np.ones(P), -np.ones(M)]), np.full(P, -inf), np.zeros(P))  # funded serves a need
    add(np.concatenate([g_p, np.arange(P)]), np.concatenate([Z, np.arange(P)]),
        np.concatenate([np.ones(G), -budget]), np.zeros(P), np.zeros(P))  # budget, all or nothing
    add(g_f, Z, np.ones(G), np.full(len(fund_ids), -inf),
        np.array([free[fi] for fi in fund_ids], dtype=float) / UNIT)  # money of the neighbourhood
    for u in (0, 1):  # crisis and priority held
        sel = np.nonzero(urg[col_k] == u)[0]
        add(np.zeros(len(sel), dtype=np.int64), Y[sel], people[col_k[sel]], np.array([before[u] - 0.5]),
            np.array([inf]))
    nvar = P + M + G
    A, lo, hi = block.constraint(nvar)
    # lexicographic in one objective: a priority person outweighs every routine person of the
    # neighbourhood, a crisis person every priority and routine one
    free_people = [float((count * people)[urg == u].sum()) for u in range(3)]
    weight = [0.0, free_people[2] + 1, 1.0]
    weight[0] = weight[1] * (free_people[1] + 1)
    c = np.zeros(nvar)
    c[Y] = -people[col_k] * np.array(weight)[urg[col_k]]
    total = sum(w * v for w, v in zip(weight, free_people))
    ub = np.concatenate([np.ones(P), count[col_k], np.array([c_ / UNIT for _, _, c_ in pay])])
    integrality = np.concatenate([np.ones(P + M), np.zeros(G)])
    return SimpleNamespace(c=c, weight=weight, A=A, lo=lo, hi=hi, ub=ub,
                           integrality=integrality, gap=min(1e-4, 0.99 / (total + 1)), members=members,
                           keys=keys, classes=classes, col_p=col_p, col_k=col_k, P=P, M=M)


def _assignment(graph: Graph, model, x) -> dict[int, list[int]]:
    """Needs for the funded members: each class's needs oldest first, members in index order."""
    taken = defaultdict(int)
    out: dict[int, list[int]] = {}
    funded = x[:model.P] > 0.5
    counts = np.rint(x[model.P:model.P + model.M]).astype(np.int64)
    for m in np.nonzero(counts > 0)[0]:
        j = int(model.col_p[m])
        if not funded[j]:
            continue
        key = model.keys[int(model.col_k[m])]
        pool = sorted(model.classes[key], key=lambda ni: (graph.needs[ni].survey_date, graph.needs[ni].id))
        start = taken[key]
        chosen = pool[start:start + int(counts[m])]
        taken[key] += len(chosen)
        out.setdefault(model.members[j], []).extend(chosen)
    for p in list(out):
        out[p].sort()
        if sum(graph.needs[ni].people for ni in out[p]) > graph.proposals[p].capacity or not out[p]:
            return {}
    return out


def _pay(graph: Graph, state: State, members: list[int], chosen: list[int]):
    """Whole-fen shares for ``chosen`` from the money the neighbourhood holds and what is left,
    or None if they cannot all be paid in full."""
    free = list(state.left)
    for p in members:
        for fi, amount in state.held.get(p, ()):
            free[fi] += amount
    # MoneyFlow over the members' fund edges only, starting from the neighbourhood's money
    sub = SimpleNamespace(pay=[e for p in members for e in state.pay_of[p]], funds=graph.funds,
                          proposals=graph.proposals)
    flow = MoneyFlow(sub)
    flow.left = free
    for p in chosen:
        if not flow.pay(p, reroute=True):
            return None
    shares = flow.shares()
    return shares, flow.left


def _apply(state: State, members: list[int], new: dict[int, list[int]], shares) -> None:
    held, left = shares
    for p in members:
        for ni in state.assign.pop(p, ()):
            state.served_by[ni] = -1
        state.held.pop(p, None)
    for p, lst in new.items():
        state.assign[p] = list(lst)
        for ni in lst:
            state.served_by[ni] = p
        state.held[p] = list(held[p])
    state.left = left


def improve(graph: Graph, assign: dict[int, list[int]], allocation: dict[int, list[tuple[int, int]]],
            work: int, deadline: float, size: int = SIZE, node_limit: int = NODE_LIMIT, rounds: int = 3):
    """Neighbourhood models while their columns add up to less than ``work``, over up to ``rounds`` passes (a pass that improves
    nothing ends it); within a pass the neighbourhoods with the most unserved people first.
    Returns (assignment, allocation, stats)."""
    state = State.of(graph, assign, allocation)
    _urgent_pass(graph, state, int(work * URGENT_SHARE), deadline, node_limit)
    for round_no in range(rounds):
        improved = 0
        for members in _by_promise(graph, state, neighbourhoods(graph, round_no, size)):
            if state.stats["work"] >= work or time.perf_counter() > deadline:
                break
            improved += resolve(graph, state, members, node_limit, max(0.1, deadline - time.perf_counter()))
        state.stats["rounds"] += 1
        if not improved or state.stats["work"] >= work or time.perf_counter() > deadline:
            break
    state.stats["stopped_by_time"] = int(time.perf_counter() > deadline)
    return dict(sorted(state.assign.items())), dict(state.held), dict(state.stats)


def _urgent_pass(graph: Graph, state: State, work: int, deadline: float, node_limit: int) -> None:
    """Larger neighbourhoods (``URGENT_SIZE``), only those whose cells hold an unserved crisis or
    priority need: a person of those outweighs every routine one, and finding a way to serve
    them takes more proposals at once (measured at 1,000 proposals: the priority people served
    went from 8,018 to the proven optimum, 8,028, in 14 models)."""
    urgent = {ci for ci, cell in enumerate(graph.cell_needs)
              for ni in cell if state.served_by[ni] == -1 and URANK[graph.needs[ni].urgency] < 2}
    if not urgent:
        return
    hoods = [m for m in neighbourhoods(graph, -1, URGENT_SIZE)
             if any(ci in urgent for p in m for ci in graph.prop_cells[p])]
    for members in _by_promise(graph, state, hoods):
        if state.stats["work"] >= work or time.perf_counter() > deadline:
            break
        state.stats["urgent_models"] += 1
        resolve(graph, state, members, node_limit, max(0.1, deadline - time.perf_counter()))


def _by_promise(graph: Graph, state: State, hoods: list[list[int]]) -> list[list[int]]:
    """Neighbourhoods by the people (crisis, priority, routine) still unserved in their cells,
    most first; ties by position."""
    unserved = [[0, 0, 0] for _ in graph.cell_needs]
    for ci, cell in enumerate(graph.cell_needs):
        for ni in cell:
            if state.served_by[ni] == -1:
                unserved[ci][URANK[graph.needs[ni].urgency]] += graph.needs[ni].people
    scored = []
    for k, members in enumerate(hoods):
        cells = {ci for p in members for ci in graph.prop_cells[p]}
        score = [sum(unserved[ci][u] for ci in cells) for u in range(3)]
        scored.append((tuple(-v for v in score), k))
    return [hoods[k] for _, k in sorted(scored)]
