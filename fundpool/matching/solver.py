"""Exact matching: a mixed-integer programme solved by HiGHS (``scipy.optimize.milp``) in stages.

Variables (one model per stage, built from the sorted ``Graph`` so the same input always gives
the same model): ``x[p]`` 1 if proposal p is funded; ``y[p,n]`` 1 if p serves need n; ``z[p,f]``
money from fund f to p, continuous, in yuan inside the model (fen are restored exactly by
``allocate``).

Constraints: each need served at most once; a proposal's needs fit in its capacity;
``y[p,n] <= x[p]``; a funded proposal serves at least one need; its shares sum to its budget
(all or nothing); ``0 <= z[p,f] <= min(available, per-grant limit, budget)``; no fund pays more
than it has available.

Objective, lexicographic, one stage each:
1. maximise crisis people; 2. holding that, maximise priority people; 3. holding both, routine
people — each to proven optimality (absolute gap below one person) unless the time runs out;
4. holding all three, minimise the *secondary cost* in fen:
   ``sum(LEVEL_WEIGHT[level of f] * z[p,f]) - AGE_CREDIT * sum(people[n] * days_waited[n] * y[p,n])``
   — money drawn weighted by level (community 1.0, street 1.1, district 1.2, city 1.3: local
   money first and, with the people served fixed, lower cost per person), less one fen per
   person-day that a served need has waited since its survey (older needs first). This stage
   stops at HiGHS's default relative gap (1e-4).

``relaxation_bound`` gives an upper bound for one stage from the LP relaxation of an aggregated
model (needs of one cell and urgency pooled), computed from the duals so that it is valid
whatever the LP solver's tolerances; the heuristic reports it, and so does the exact solver for a
stage it could not close.
"""

from __future__ import annotations

import bisect
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix

from .eligibility import Graph, level_index
from .problem import URGENCIES

URANK = {u: i for i, u in enumerate(URGENCIES)}
LEVEL_WEIGHT = (1.0, 1.1, 1.2, 1.3)  # per fen drawn: community, street, district, city
AGE_CREDIT = 1  # fen per person-day waited
UNIT = 100.0  # fen per model money unit (yuan)
DEBUG = False
COARSE_METHOD = "highs-ipm"  # the dual simplex stalls on this model at 10,000 proposals (measured)
LINKS = False  # y <= x rows: a tighter LP but slower stages here (measured)
STAGE_SHARE = (0.55, 0.7, 0.85, 1.0)  # of the time left that a stage may use; later ones get the rest


class Infeasible(Exception):
    """The chosen proposals cannot be paid for in whole fen."""


@dataclass
class Stage:
    name: str
    value: float
    bound: float
    proven: bool
    seconds: float = 0.0
    status: str = ""
    nodes: int = 0

    @property
    def gap(self) -> float:
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.value) / self.bound)

    def as_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "bound": self.bound, "gap": self.gap,
                "proven": self.proven, "seconds": round(self.seconds, 3), "status": self.status,
                "nodes": self.nodes}


@dataclass
class Selection:
    """What a solver decides: proposals funded and the needs each serves (indices into the graph)."""
    assign: dict[int, list[int]]  # proposal index -> need indices
    stages: list[Stage]
    secondary: Stage | None = None
    stats: dict = field(default_factory=dict)


def days_waited(graph: Graph, ni: int) -> int:
    return max(0, (graph.on - graph.needs[ni].survey_date).days)


def urgency_people(graph: Graph, assign: dict[int, list[int]]) -> list[int]:
    totals = [0, 0, 0]
    for needs in assign.values():
        for ni in needs:
            n = graph.needs[ni]
            totals[URANK[n.urgency]] += n.people
    return totals


def secondary_cost(graph: Graph, allocation: dict[int, list[tuple[int, int]]],
                   assign: dict[int, list[int]]) -> float:
    money = sum(LEVEL_WEIGHT[level_index(graph.funds[fi])] * amount
                for shares in allocation.values() for fi, amount in shares)
    age = sum(graph.needs[ni].people * days_waited(graph, ni) for needs in assign.values() for ni in needs)
    return money - AGE_CREDIT * age


# ---------------------------------------------------------------------------------------------
# the exact solver


class SparseRows:
    """A model's constraint rows, added a block at a time (row indices within the block,
    columns, values, lower and upper bounds), then read as one sparse matrix and its bounds."""

    def __init__(self) -> None:
        self.rows, self.cols, self.vals, self.lo, self.hi = [], [], [], [], []
        self.count = 0

    def add(self, rows, cols, vals, lower, upper) -> None:
        self.rows.append(rows + self.count)
        self.cols.append(cols)
        self.vals.append(vals)
        self.lo.append(lower)
        self.hi.append(upper)
        self.count += len(lower)

    def constraint(self, nvar: int) -> tuple[csr_matrix, np.ndarray, np.ndarray]:
        matrix = csr_matrix((np.concatenate(self.vals),
                             (np.concatenate(self.rows), np.concatenate(self.cols))),
                            shape=(self.count, nvar))
        return matrix, np.concatenate(self.lo), np.concatenate(self.hi)


def solve(graph: Graph, time_limit: float, deadline: float | None = None) -> Selection | None:
    """Lexicographic MILP; None if HiGHS found no solution in time for the first stage."""
    start = time.perf_counter()
    deadline = deadline if deadline is not None else start + time_limit
    edges = graph.serve
    P, E, G = len(graph.proposals), len(edges), len(graph.pay)
    e_p = np.fromiter((pi for pi, _ in edges), dtype=np.int64, count=E)
    e_n = np.fromiter((ni for _, ni in edges), dtype=np.int64, count=E)
    people = np.array([n.people for n in graph.needs], dtype=float)
    urank = np.array([URANK[n.urgency] for n in graph.needs], dtype=np.int64)
    e_people = people[e_n] if E else np.zeros(0)
    e_urg = urank[e_n] if E else np.zeros(0, dtype=np.int64)
    g_p = np.array([pi for pi, _, _ in graph.pay], dtype=np.int64)
    g_f = np.array([fi for _, fi, _ in graph.pay], dtype=np.int64)
    g_cap = np.array([c for _, _, c in graph.pay], dtype=float) / UNIT
    budget = np.array([p.budget for p in graph.proposals], dtype=float) / UNIT
    capacity = np.array([p.capacity for p in graph.proposals], dtype=float)
    available = np.array([f.available for f in graph.funds], dtype=float) / UNIT
    weight = np.array([LEVEL_WEIGHT[level_index(f)] for f in graph.funds], dtype=float)
    age = np.array([days_waited(graph, ni) for ni in range(len(graph.needs))], dtype=float)

    stages: list[Stage] = []
    levels: list[float] = []
    best: dict[int, list[int]] | None = None

    for k in range(4):
        now = time.perf_counter()
        left = deadline - now
        if left <= 0.05 and best is not None:
            break
        budget_k = max(0.05, left * STAGE_SHARE[k])
        top = min(k, 2)  # urgencies in this stage's model
        mask = e_urg <= top
        idx = np.nonzero(mask)[0]
        ep, en, epe, eu = e_p[idx], e_n[idx], e_people[idx], e_urg[idx]
        Ek = len(idx)
        nvar = P + Ek + G
        active = np.zeros(P, dtype=bool)
        active[ep] = True
        block = SparseRows()
        add_rows = block.add
        # each need at most once
        needs_k, need_row = np.unique(en, return_inverse=True)
        add_rows(need_row, P + np.arange(Ek), np.ones(Ek), np.full(len(needs_k), -np.inf), np.ones(len(needs_k)))
        # capacity: sum people y - cap x <= 0
        add_rows(np.concatenate([ep, np.arange(P)]), np.concatenate([P + np.arange(Ek), np.arange(P)]),
                 np.concatenate([epe, -capacity]), np.full(P, -np.inf), np.zeros(P))
        # y <= x
        if LINKS:
          add_rows(np.concatenate([np.arange(Ek), np.arange(Ek)]), np.concatenate([P + np.arange(Ek), ep]),
                 np.concatenate([np.ones(Ek), -np.ones(Ek)]), np.full(Ek, -np.inf), np.zeros(Ek))
        # x <= sum y
        add_rows(np.concatenate([np.arange(P), ep]), np.concatenate([np.arange(P), P + np.arange(Ek)]),
                 np.concatenate([np.ones(P), -np.ones(Ek)]), np.full(P, -np.inf), np.zeros(P))
        # budget: sum z - budget x = 0
        add_rows(np.concatenate([g_p, np.arange(P)]), np.concatenate([P + Ek + np.arange(G), np.arange(P)]),
                 np.concatenate([np.ones(G), -budget]), np.zeros(P), np.zeros(P))
        # funds: sum z <= available
        add_rows(g_f, P + Ek + np.arange(G), np.ones(G), np.full(len(graph.funds), -np.inf), available)
        # earlier stages held
        for v, level in enumerate(levels):
            sel = np.nonzero(eu == v)[0]
            add_rows(np.zeros(len(sel), dtype=np.int64), P + sel, epe[sel], np.array([level - 1e-6]),
                     np.array([np.inf]))
        A, lo, hi = block.constraint(nvar)
        c = np.zeros(nvar)
        if k < 3:
            c[P + np.nonzero(eu == k)[0]] = -epe[eu == k]
            total = float(epe[eu == k].sum()) if Ek else 0.0
            # one person: the stage closes only when the dual bound is below value + 1
            options = {"mip_rel_gap": min(1e-4, 0.99 / (people[needs_k][urank[needs_k] == k].sum() + 1))}
            if total == 0:
                stages.append(Stage(URGENCIES[k], 0.0, 0.0, True, 0.0, "nothing to serve"))
                levels.append(0.0)
                continue
        else:
            c[P + Ek:] = weight[g_f]
            c[P:P + Ek] = -AGE_CREDIT * epe * age[en] / UNIT
            options = {}
        ub = np.concatenate([active.astype(float), np.ones(Ek), np.where(active[g_p], g_cap, 0.0)])
        integrality = np.concatenate([np.ones(P + Ek), np.zeros(G)])
        options["time_limit"] = budget_k
        if DEBUG:
            options["disp"] = True
        res = milp(c, integrality=integrality, bounds=Bounds(np.zeros(nvar), ub),
                   constraints=LinearConstraint(A, lo, hi), options=options)
        seconds = time.perf_counter() - now
        if res.x is None:
            if best is None:
                return None
            # keep the previous stage's solution; the stages not closed are filled in below
            if k == 3:
                stages.append(Stage("secondary", 0.0, 0.0, False, seconds, res.message))
            break
        xs = res.x
        chosen = np.nonzero(xs[:P] > 0.5)[0]
        served = idx[np.nonzero(xs[P:P + Ek] > 0.5)[0]]
        assign: dict[int, list[int]] = defaultdict(list)
        for e in served:
            if xs[e_p[e]] > 0.5:
                assign[int(e_p[e])].append(int(e_n[e]))
        assign = {pi: sorted(v) for pi, v in sorted(assign.items()) if pi in set(chosen.tolist())}
        best = assign
        nodes = int(getattr(res, "mip_node_count", 0) or 0)
        if k < 3:
            value = float(urgency_people(graph, assign)[k])
            dual = -float(res.mip_dual_bound) if res.mip_dual_bound is not None else math.inf
            if not math.isfinite(dual):
                dual = trivial_bound(graph, k)
            proven = res.status == 0 or math.floor(dual + 1e-6) <= value
            bound = value if proven else max(value, min(dual, trivial_bound(graph, k)))
            if not proven and not all(st.proven for st in stages[:max(0, k - 1)]):
                # the model held level k-1 at a value the optimum may not reach: only the
                # trivial bound is sure (see docs/matching.md)
                bound = max(value, trivial_bound(graph, k))
            stages.append(Stage(URGENCIES[k], value, bound, proven, seconds, res.message, nodes))
            levels.append(value)
        else:
            stages.append(Stage("secondary", float(res.fun) * UNIT, float(res.mip_dual_bound or 0) * UNIT,
                                res.status == 0, seconds, res.message, nodes))
    secondary = stages.pop() if stages and stages[-1].name == "secondary" else None
    if best is not None and len(stages) < 3:
        # out of time: what the last solution serves, against the trivial bound (always valid)
        values = urgency_people(graph, best)
        for k in range(len(stages), 3):
            bound = max(trivial_bound(graph, k), float(values[k]))
            stages.append(Stage(URGENCIES[k], float(values[k]), bound, values[k] >= bound, 0.0,
                                "not solved in time: trivial bound"))
    return Selection(best or {}, stages, secondary,
                     {"variables_last": int(nvar), "constraints_last": int(block.count), "need_edges": E, "fund_edges": G})


# ---------------------------------------------------------------------------------------------
# money in whole fen

def allocate(graph: Graph, assign: dict[int, list[int]], order: list[int] | None = None
             ) -> tuple[dict[int, list[tuple[int, int]]], list[int]]:
    """Shares in whole fen for the chosen proposals: (proposal -> [(fund, amount)], dropped).

    First the transportation LP (minimise level-weighted money) by the dual simplex: its basic
    solutions are whole numbers (the constraint matrix is a network matrix and every bound is
    in whole fen), so rounding only removes floating-point noise. If the rounded shares do not
    check exactly, money is found by augmenting paths instead, proposal by proposal in ``order``
    (most valuable first); a proposal that cannot be paid in full is dropped.
    """
    chosen = sorted(assign)
    if not chosen:
        return {}, []
    edges = [(pi, fi, c) for pi, fi, c in graph.pay if pi in assign]
    G = len(edges)
    pos = {pi: k for k, pi in enumerate(chosen)}
    funds_used = sorted({fi for _, fi, _ in edges})
    fpos = {fi: k for k, fi in enumerate(funds_used)}
    rows = np.array([pos[pi] for pi, _, _ in edges] + [len(chosen) + fpos[fi] for _, fi, _ in edges])
    cols = np.concatenate([np.arange(G), np.arange(G)])
    A = csr_matrix((np.ones(2 * G), (rows, cols)), shape=(len(chosen) + len(funds_used), G))
    A_eq, A_ub = A[:len(chosen)], A[len(chosen):]
    b_eq = np.array([graph.proposals[pi].budget for pi in chosen], dtype=float)
    b_ub = np.array([graph.funds[fi].available for fi in funds_used], dtype=float)
    c = np.array([LEVEL_WEIGHT[level_index(graph.funds[fi])] for _, fi, _ in edges])
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq,
                  bounds=list(zip([0] * G, [cp for _, _, cp in edges])), method="highs-ds")
    if res.status == 0:
        amounts = [int(round(v)) for v in res.x]
        result: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for (pi, fi, _), amount in zip(edges, amounts):
            if amount > 0:
                result[pi].append((fi, amount))
        if _check(graph, result, chosen):
            return {pi: sorted(result[pi], key=lambda s: (level_index(graph.funds[s[0]]), s[0]))
                    for pi in chosen}, []
    return augment(graph, order or chosen)


def _check(graph: Graph, shares: dict[int, list[tuple[int, int]]], chosen: list[int]) -> bool:
    caps = {(pi, fi): c for pi, fi, c in graph.pay}
    used: dict[int, int] = defaultdict(int)
    for pi in chosen:
        if sum(a for _, a in shares.get(pi, ())) != graph.proposals[pi].budget:
            return False
        for fi, a in shares.get(pi, ()):
            if a < 0 or a > caps.get((pi, fi), -1):
                return False
            used[fi] += a
    return all(used[fi] <= graph.funds[fi].available for fi in used)


def augment(graph: Graph, order: list[int]) -> tuple[dict[int, list[tuple[int, int]]], list[int]]:
    """Pay proposals one at a time in ``order`` by ``MoneyFlow``; those that cannot be paid in
    full are dropped."""
    flow = MoneyFlow(graph)
    dropped = [pi for pi in order if not flow.pay(pi)]
    return flow.shares(), dropped


# ---------------------------------------------------------------------------------------------
# upper bounds

def class_people(graph: Graph):
    """Per cell and urgency: the people of its needs sorted, with running sums (for capacity)."""
    table = []
    for needs in graph.cell_needs:
        per = [[], [], []]
        for ni in needs:
            n = graph.needs[ni]
            per[URANK[n.urgency]].append(n.people)
        row = []
        for values in per:
            values.sort()
            sums = [0]
            for v in values:
                sums.append(sums[-1] + v)
            row.append((values, sums))
        table.append(row)
    return table


def trivial_bound(graph: Graph, k: int) -> float:
    """All people of urgency k that some proposal could serve."""
    return float(sum(n.people for n in graph.needs if URANK[n.urgency] == k))


def relaxation_bound(graph: Graph, k: int, levels: list[float], time_limit: float = 30.0,
                     table=None, method: str = "highs", links: bool = True) -> tuple[float, str]:
    """An upper bound on the people of urgency ``k`` served by any solution that serves at least
    ``levels[v]`` people of each more urgent level v (pass only levels that the lexicographic
    optimum is known to reach). LP relaxation of the cell-aggregated model, with ``links``
    ``Y[p, class] <= e x[p]`` and ``z[p, f] <= cap x[p]`` (valid for every integer solution; they
    cut the 400-proposal bound from 7,483 to 6,876 routine people, the exact optimum being at least
    6,690); the bound is computed from the LP's duals by weak duality, so it holds whatever the
    solver's tolerances."""
    trivial = trivial_bound(graph, k)
    if trivial == 0:
        return 0.0, "nothing to serve"
    table = table if table is not None else class_people(graph)
    P, G = len(graph.proposals), len(graph.pay)
    # classes: (proposal, cell, urgency) columns with their upper bound e
    col_p, col_class, col_u, col_e = [], [], [], []
    for pi, p in enumerate(graph.proposals):
        for ci in graph.prop_cells[pi]:
            for u in range(k + 1):
                if u < k and u >= len(levels):
                    continue
                values, sums = table[ci][u]
                if not values:
                    continue
                e = sums[bisect.bisect_right(values, p.capacity)]
                if e > 0:
                    col_p.append(pi)
                    col_class.append(ci * 3 + u)
                    col_e.append(e)
                    col_u.append(u)
    M = len(col_p)
    col_p = np.array(col_p, dtype=np.int64)
    col_u = np.array(col_u, dtype=np.int64)
    col_e = np.array(col_e, dtype=float)
    classes, class_row = np.unique(np.array(col_class, dtype=np.int64), return_inverse=True)
    class_total = np.array([table[c // 3][c % 3][1][-1] for c in classes], dtype=float)
    e_sum = np.bincount(col_p, weights=col_e, minlength=P)
    capacity = np.array([p.capacity for p in graph.proposals], dtype=float)
    cap_eff = np.minimum(capacity, e_sum)
    budget = np.array([p.budget for p in graph.proposals], dtype=float) / UNIT
    g_p = np.array([pi for pi, _, _ in graph.pay], dtype=np.int64)
    g_f = np.array([fi for _, fi, _ in graph.pay], dtype=np.int64)
    g_cap = np.array([c for _, _, c in graph.pay], dtype=float) / UNIT
    available = np.array([f.available for f in graph.funds], dtype=float) / UNIT
    nvar = P + M + G
    Y = P + np.arange(M)
    Z = P + M + np.arange(G)
    # inequality rows: classes, capacity, funds, levels
    r_cls = len(classes)
    rows = [class_row, r_cls + col_p, r_cls + np.arange(P), r_cls + P + g_f]
    cols = [Y, Y, np.arange(P), Z]
    vals = [np.ones(M), np.ones(M), -cap_eff, np.ones(G)]
    b_ub = [class_total, np.zeros(P), available]
    r = r_cls + P + len(graph.funds)
    for v, level in enumerate(levels[:k]):
        sel = np.nonzero(col_u == v)[0]
        rows.append(np.full(len(sel), r))
        cols.append(P + sel)
        vals.append(-np.ones(len(sel)))
        b_ub.append(np.array([-(level - 0.5)]))
        r += 1
    if links:  # Y[p, class] <= e x[p]: a fractional proposal takes a fraction of each class
        rows.append(np.concatenate([r + np.arange(M), r + np.arange(M)]))
        cols.append(np.concatenate([Y, col_p]))
        vals.append(np.concatenate([np.ones(M), -col_e]))
        b_ub.append(np.zeros(M))
        r += M
        # z[p, f] <= cap x[p]
        rows.append(np.concatenate([r + np.arange(G), r + np.arange(G)]))
        cols.append(np.concatenate([Z, g_p]))
        vals.append(np.concatenate([np.ones(G), -g_cap]))
        b_ub.append(np.zeros(G))
        r += G
    A_ub = csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, nvar))
    b_ub = np.concatenate(b_ub)
    A_eq = csr_matrix((np.concatenate([np.ones(G), -budget]), (np.concatenate([g_p, np.arange(P)]),
                       np.concatenate([Z, np.arange(P)]))), shape=(P, nvar))
    b_eq = np.zeros(P)
    upper = np.concatenate([np.ones(P), col_e, g_cap])
    c = np.zeros(nvar)
    c[P + np.nonzero(col_u == k)[0]] = 1.0  # maximise
    bound, res = _dual_bound(c, A_ub, b_ub, A_eq, b_eq, upper, method,
                             {"time_limit": max(0.1, time_limit), "presolve": True})
    if bound is None:
        return trivial, f"trivial ({res})"
    return min(trivial, bound), ("lp" if res.status == 0 else "lp (time limit, dual bound)")


def _dual_bound(c, A_ub, b_ub, A_eq, b_eq, upper, method: str, options: dict):
    """Maximise ``c·x`` over the LP and return (a valid upper bound, the result), or
    (None, why not). The bound is built from the duals, not the primal value: it holds
    even when HiGHS stops at its time limit before optimality."""
    res = linprog(-c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq,
                  bounds=np.column_stack([np.zeros(len(c)), upper]), method=method,
                  options=options)
    if res.status not in (0, 1) or getattr(res, "ineqlin", None) is None or res.ineqlin.marginals is None:
        return None, res.message
    lam = np.maximum(0.0, -np.asarray(res.ineqlin.marginals))
    mu = -np.asarray(res.eqlin.marginals)
    reduced = c - A_ub.T @ lam - A_eq.T @ mu
    bound = float(lam @ b_ub + mu @ b_eq + np.maximum(0.0, reduced) @ upper)
    if not math.isfinite(bound):
        return None, "no finite dual bound"
    return bound, res


# ---------------------------------------------------------------------------------------------
# money as a flow, one proposal at a time

class MoneyFlow:
    """Whole-fen shares of funds in proposals, kept as a flow from funds to proposals.

    ``pay(pi)`` tries to put the proposal's whole budget together: first straight from its own
    eligible funds, most local first; if they are short, by augmenting paths that move other
    proposals' shares to funds they may also use (an exact max-flow step). If the budget still
    cannot be met, every change is rolled back and the proposal is refused. Funds found to have
    no path to money left stay known as such (in a flow grown by augmenting paths, a node that
    cannot reach spare capacity never can again), so refusals get cheap.
    """

    def __init__(self, graph: Graph):
        self.graph = graph
        self.by_p: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for pi, fi, c in graph.pay:
            self.by_p[pi].append((fi, c))
        for pi in self.by_p:
            self.by_p[pi].sort(key=lambda t: (level_index(graph.funds[t[0]]), t[0]))
        self.caps = {(pi, fi): c for pi, fi, c in graph.pay}
        self.flow: dict[tuple[int, int], int] = {}
        self.holders: dict[int, dict[int, None]] = defaultdict(dict)  # fund -> proposals holding its money
        self.left = [f.available for f in graph.funds]
        self.dead: set[int] = set()
        self.searches = 0
        self.funded: list[int] = []

    def direct(self, pi: int) -> int:
        return sum(min(self.left[fi], c - self.flow.get((pi, fi), 0)) for fi, c in self.by_p[pi])

    def _add(self, p: int, f: int, amount: int, log: list) -> None:
        self.flow[(p, f)] = self.flow.get((p, f), 0) + amount
        if self.flow[(p, f)] > 0:
            self.holders[f][p] = None
        log.append((p, f, amount))

    def pay(self, pi: int, reroute: bool = True) -> bool:
        need = self.graph.proposals[pi].budget
        log: list[tuple[int, int, int]] = []
        left_log: list[tuple[int, int]] = []
        if self.direct(pi) >= need:  # its own funds suffice: most local first
            for fi, c in self.by_p[pi]:
                if need == 0:
                    break
                take = min(need, self.left[fi], c - self.flow.get((pi, fi), 0))
                if take > 0:
                    self._add(pi, fi, take, log)
                    self.left[fi] -= take
                    need -= take
            self.funded.append(pi)
            return True
        first = True
        while need > 0 and reroute:
            self.searches += 1
            path, seen = self._path(pi)
            if path is None:
                if first:  # nothing changed yet in this call: what it saw is dead for good
                    self.dead.update(seen)
                break
            first = False
            amount = need
            for k in range(0, len(path) - 1, 2):
                p, f = path[k], path[k + 1]
                amount = min(amount, self.caps[(p, f)] - self.flow.get((p, f), 0))
                if k + 2 < len(path):
                    amount = min(amount, self.flow.get((path[k + 2], f), 0))
            amount = min(amount, self.left[path[-1]])
            for k in range(0, len(path) - 1, 2):
                p, f = path[k], path[k + 1]
                self._add(p, f, amount, log)
                if k + 2 < len(path):
                    self._add(path[k + 2], f, -amount, log)
            self.left[path[-1]] -= amount
            left_log.append((path[-1], amount))
            need -= amount
        if need > 0:
            for p, f, amount in reversed(log):
                self.flow[(p, f)] -= amount
                if self.flow[(p, f)] > 0:
                    self.holders[f][p] = None
            for fi, amount in left_log:
                self.left[fi] += amount
            return False
        self.funded.append(pi)
        return True

    def unpay(self, pi: int) -> None:
        """Give back the money of the proposal paid last (by ``pay``): its shares return to the
        funds, and what was known about funds without money is forgotten (they may have some
        again)."""
        if not self.funded or self.funded[-1] != pi:
            raise ValueError(f"proposal {pi} was not the last one paid")
        self.funded.pop()
        for fi, _ in self.by_p[pi]:
            amount = self.flow.pop((pi, fi), 0)
            if amount:
                self.left[fi] += amount
                self.holders[fi].pop(pi, None)
        self.dead.clear()

    def _path(self, start: int):
        """BFS from a proposal to a fund with money left, through funds whose money another
        proposal holds and could take from elsewhere. Returns (path or None, funds seen)."""
        prev_f: dict[int, int] = {}
        prev_p: dict[int, int] = {start: -1}
        queue = [start]
        head = 0
        while head < len(queue):
            p = queue[head]
            head += 1
            for f, c in self.by_p[p]:
                if f in prev_f or f in self.dead or self.flow.get((p, f), 0) >= c:
                    continue
                prev_f[f] = p
                if self.left[f] > 0:
                    path = [f]
                    while True:
                        q = prev_f[path[-1]]
                        path.append(q)
                        if q == start:
                            break
                        path.append(prev_p[q])
                    return list(reversed(path)), ()
                for q in self.holders[f]:
                    if q not in prev_p and self.flow.get((q, f), 0) > 0:
                        prev_p[q] = f
                        queue.append(q)
        return None, prev_f.keys()

    def shares(self) -> dict[int, list[tuple[int, int]]]:
        result: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for (p, f), a in sorted(self.flow.items()):
            if a > 0:
                result[p].append((f, a))
        return {pi: sorted(result[pi], key=lambda s: (level_index(self.graph.funds[s[0]]), s[0]))
                for pi in sorted(self.funded)}



def coarse_bound(graph: Graph, k: int, levels: list[float], time_limit: float = 30.0,
                 table=None, links: bool = False, money_links: bool = False) -> tuple[float, str]:
    """A cheaper relaxation than ``relaxation_bound`` for large inputs, still a true upper bound:
    - needs pooled by (street, category, urgency) instead of (community, category, urgency): a
      proposal may take from its street's pool at most what its own communities hold (its ``e``),
      but proposals of different communities of a street now share one row — looser, never tighter;
    - money aggregated exactly over proposals with the same set of eligible funds (one budget row
      and one column per fund for each such group), per-grant limits kept only as the bound
      ``sum over the group of min(limit, budget)`` on a column — looser again.
    The LP's duals give the bound by weak duality, as in ``relaxation_bound``. Its ``links`` rows
    (as there) are off by default: at 10,000 proposals they took the bound only from 342,299 to
    341,835 routine people and the LP from 8 s to 58 s (measured)."""
    trivial = trivial_bound(graph, k)
    if trivial == 0:
        return 0.0, "nothing to serve"
    table = table if table is not None else class_people(graph)
    P = len(graph.proposals)

    def street(path: tuple[str, ...]) -> str:
        return path[2] if len(path) >= 3 else path[-1]

    # needs: coarse classes
    coarse_of_cell = {}
    coarse_ids: dict[tuple, int] = {}
    for ci, (path, category) in enumerate(graph.cells):
        coarse_of_cell[ci] = coarse_ids.setdefault((street(path), category), len(coarse_ids))
    coarse_total = np.zeros((len(coarse_ids), 3))
    for ci in range(len(graph.cells)):
        for u in range(3):
            coarse_total[coarse_of_cell[ci], u] += table[ci][u][1][-1]
    used_u = [u for u in range(k + 1) if u == k or u < len(levels)]
    cols: dict[tuple[int, int, int], float] = defaultdict(float)
    for pi, p in enumerate(graph.proposals):
        for ci in graph.prop_cells[pi]:
            for u in used_u:
                values, sums = table[ci][u]
                if values:
                    e = sums[bisect.bisect_right(values, p.capacity)]
                    if e > 0:
                        cols[(pi, coarse_of_cell[ci], u)] += e
    keys = sorted(cols)
    M = len(keys)
    y_p = np.array([key[0] for key in keys], dtype=np.int64)
    y_cls = np.array([key[1] * 3 + key[2] for key in keys], dtype=np.int64)
    y_u = np.array([key[2] for key in keys], dtype=np.int64)
    y_e = np.array([cols[key] for key in keys], dtype=float)
    cls_ids, y_row = np.unique(y_cls, return_inverse=True)
    cls_total = np.array([coarse_total[c // 3, c % 3] for c in cls_ids])
    # money: groups of proposals with the same eligible funds
    fund_sets: dict[int, list[int]] = defaultdict(list)
    limit_sum: dict[tuple[int, int], float] = defaultdict(float)
    for pi, fi, c in graph.pay:
        fund_sets[pi].append(fi)
    group_ids: dict[tuple[int, ...], int] = {}
    group_of = np.zeros(P, dtype=np.int64)
    for pi in range(P):
        group_of[pi] = group_ids.setdefault(tuple(fund_sets[pi]), len(group_ids))
    for pi, fi, c in graph.pay:
        limit_sum[(int(group_of[pi]), fi)] += c
    zkeys = sorted(limit_sum)
    Z = len(zkeys)
    z_g = np.array([key[0] for key in zkeys], dtype=np.int64)
    z_f = np.array([key[1] for key in zkeys], dtype=np.int64)
    z_ub = np.array([limit_sum[key] for key in zkeys]) / UNIT
    budget = np.array([p.budget for p in graph.proposals], dtype=float) / UNIT
    capacity = np.array([p.capacity for p in graph.proposals], dtype=float)
    e_sum = np.bincount(y_p, weights=y_e, minlength=P)
    cap_eff = np.minimum(capacity, e_sum)
    available = np.array([f.available for f in graph.funds], dtype=float) / UNIT
    nvar = P + M + Z
    Yc = P + np.arange(M)
    Zc = P + M + np.arange(Z)
    r_cls = len(cls_ids)
    rows = [y_row, r_cls + y_p, r_cls + np.arange(P), r_cls + P + z_f]
    colsl = [Yc, Yc, np.arange(P), Zc]
    vals = [np.ones(M), np.ones(M), -cap_eff, np.ones(Z)]
    b_ub = [cls_total, np.zeros(P), available]
    r = r_cls + P + len(graph.funds)
    for v, level in enumerate(levels[:k]):
        sel = np.nonzero(y_u == v)[0]
        rows.append(np.full(len(sel), r))
        colsl.append(P + sel)
        vals.append(-np.ones(len(sel)))
        b_ub.append(np.array([-(level - 0.5)]))
        r += 1
    if links:  # Y[p, coarse class] <= e x[p]
        rows.append(np.concatenate([r + np.arange(M), r + np.arange(M)]))
        colsl.append(np.concatenate([Yc, y_p]))
        vals.append(np.concatenate([np.ones(M), -y_e]))
        b_ub.append(np.zeros(M))
        r += M
    if money_links:  # z[group, f] <= sum over the group of cap[p, f] x[p]
        zpos = {key: n for n, key in enumerate(zkeys)}
        zrow = np.array([zpos[(int(group_of[pi]), fi)] for pi, fi, _ in graph.pay], dtype=np.int64)
        pay_p = np.array([pi for pi, _, _ in graph.pay], dtype=np.int64)
        pay_c = np.array([c for _, _, c in graph.pay], dtype=float) / UNIT
        rows.append(np.concatenate([r + np.arange(Z), r + zrow]))
        colsl.append(np.concatenate([Zc, pay_p]))
        vals.append(np.concatenate([np.ones(Z), -pay_c]))
        b_ub.append(np.zeros(Z))
        r += Z
    A_ub = csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(colsl))), shape=(r, nvar))
    b_ub = np.concatenate(b_ub)
    G = len(group_ids)
    A_eq = csr_matrix((np.concatenate([np.ones(Z), -budget]), (np.concatenate([z_g, group_of]),
                       np.concatenate([Zc, np.arange(P)]))), shape=(G, nvar))
    b_eq = np.zeros(G)
    upper = np.concatenate([np.ones(P), y_e, z_ub])
    c = np.zeros(nvar)
    c[P + np.nonzero(y_u == k)[0]] = 1.0
    bound, res = _dual_bound(c, A_ub, b_ub, A_eq, b_eq, upper, COARSE_METHOD,
                             {"time_limit": max(0.1, time_limit)})
    if bound is None:
        return trivial, f"trivial ({res})"
    return min(trivial, bound), f"coarse lp ({nvar} columns)"
