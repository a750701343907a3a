"""Decomposition by district: Lagrangian upper bounds and a district-by-district primal.

Real inputs split exactly by district once the city's money is split between districts: needs,
community, street and district funds never cross a district line, only the city's funds do
(docs/matching.md, "Where the gap is"). So:

- **Bound.** Relax each city fund's ``Σ z ≤ available`` row (and a held urgency level that is
  not served in full) with a multiplier ``λ ≥ 0``; what is left is one small MILP per district,
  and for *every* ``λ`` the sum of the districts' optima (or HiGHS's dual bounds on them) plus
  ``λ · available`` is an upper bound on the whole (weak duality). The multipliers start from the
  LP relaxation's duals and improve by subgradient steps.
- **Primal.** Give each district a share of every city fund (what the stacked LP gives it) and
  solve each district exactly with its shares: the union is feasible by construction.

Measured, not adopted (docs/matching.md, "Tried and not adopted"); kept here, beside the probe
that uses it (``matching_lagrange_probe.py``), so the figures can be reproduced.

Each district's model aggregates needs into *classes* — needs of one cell (community, category)
with the same urgency and number of people are interchangeable in the people-counting stages —
with integer counts ``Y[p, class]`` instead of one binary per need: an exact reformulation.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix, vstack

from fundpool.matching.eligibility import Graph
from fundpool.matching.solver import UNIT, URANK

CITY = 1  # pool-path length of the funds that may join districts


def split(graph: Graph) -> tuple[list[list[int]], list[int]]:
    """Groups of proposals joined by shared cells and by non-city funds (sorted, each sorted),
    and the city funds that pay into more than one group (the coupling funds)."""
    parent = list(range(len(graph.proposals)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict = {}

    def join(key, pi: int) -> None:
        if key in first:
            a, b = find(first[key]), find(pi)
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            first[key] = pi

    for pi, cells in enumerate(graph.prop_cells):
        for ci in cells:
            join(("c", ci), pi)
    for pi, fi, _ in graph.pay:
        if len(graph.funds[fi].pool_path) > CITY:
            join(("f", fi), pi)
    groups: dict[int, list[int]] = defaultdict(list)
    for pi in range(len(graph.proposals)):
        groups[find(pi)].append(pi)
    ordered = [groups[r] for r in sorted(groups)]
    group_of = {pi: g for g, pis in enumerate(ordered) for pi in pis}
    touched: dict[int, set[int]] = defaultdict(set)
    for pi, fi, _ in graph.pay:
        touched[fi].add(group_of[pi])
    coupling = sorted(fi for fi, gs in touched.items() if len(gs) > 1)
    return ordered, coupling


@dataclass
class Block:
    """One district's model over need classes; columns x (proposals), Y (class edges), z (money)."""
    props: list[int]
    class_needs: list[list[int]]  # need indices of each class, oldest first
    class_u: np.ndarray
    class_v: np.ndarray  # people per need of the class
    y_p: np.ndarray  # local proposal index of each class edge
    y_c: np.ndarray  # class of each class edge
    y_ub: np.ndarray
    z_p: np.ndarray
    z_f: np.ndarray  # graph fund index
    z_ub: np.ndarray  # yuan
    A: csr_matrix = None
    lo: np.ndarray = None
    hi: np.ndarray = None
    coupling_cols: dict = field(default_factory=dict)  # graph fund index -> z columns
    full: np.ndarray = None  # people of each urgency this block could serve

    @property
    def n(self) -> int:
        return len(self.props) + len(self.y_p) + len(self.z_p)


def build_block(graph: Graph, props: list[int], coupling: set[int], top: int, links: bool = True) -> Block:
    """The district's model for urgencies up to ``top`` (0 crisis .. 2 routine), without any
    objective or held level: rows for classes, capacity, links, a funded proposal serves a need,
    budget, and every fund's availability (a city fund's row here is implied by its global row)."""
    P = len(props)
    cells = sorted({ci for pi in props for ci in graph.prop_cells[pi]})
    class_key: dict[tuple[int, int, int], int] = {}
    class_needs: list[list[int]] = []
    for ci in cells:
        for ni in graph.cell_needs[ci]:
            n = graph.needs[ni]
            u = URANK[n.urgency]
            if u > top:
                continue
            key = (ci, u, n.people)
            if key not in class_key:
                class_key[key] = len(class_needs)
                class_needs.append([])
            class_needs[class_key[key]].append(ni)
    for lst in class_needs:
        lst.sort(key=lambda ni: (graph.needs[ni].survey_date, graph.needs[ni].id))
    keys = sorted(class_key, key=class_key.get)
    class_u = np.array([k[1] for k in keys], dtype=np.int64)
    class_v = np.array([k[2] for k in keys], dtype=float)
    count = np.array([len(lst) for lst in class_needs], dtype=float)
    by_cell: dict[int, list[int]] = defaultdict(list)
    for key, c in class_key.items():
        by_cell[key[0]].append(c)
    y_p, y_c, y_ub = [], [], []
    for lp, pi in enumerate(props):
        capacity = graph.proposals[pi].capacity
        for ci in graph.prop_cells[pi]:
            for c in sorted(by_cell.get(ci, ())):
                v = int(class_v[c])
                if v <= capacity:
                    y_p.append(lp)
                    y_c.append(c)
                    y_ub.append(min(count[c], capacity // v))
    local = {pi: lp for lp, pi in enumerate(props)}
    z_p, z_f, z_ub = [], [], []
    for pi, fi, c in graph.pay:
        if pi in local:
            z_p.append(local[pi])
            z_f.append(fi)
            z_ub.append(c / UNIT)
    b = Block(props, class_needs, class_u, class_v, np.array(y_p, dtype=np.int64), np.array(y_c, dtype=np.int64),
              np.array(y_ub, dtype=float), np.array(z_p, dtype=np.int64), np.array(z_f, dtype=np.int64),
              np.array(z_ub, dtype=float))
    M, G = len(y_p), len(z_p)
    Y = P + np.arange(M)
    Z = P + M + np.arange(G)
    yv = class_v[b.y_c]
    capacity = np.array([graph.proposals[pi].capacity for pi in props], dtype=float)
    budget = np.array([graph.proposals[pi].budget for pi in props], dtype=float) / UNIT
    funds = sorted(set(z_f))
    frow = {fi: k for k, fi in enumerate(funds)}
    available = np.array([graph.funds[fi].available for fi in funds], dtype=float) / UNIT
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0

    def add(rr, cc, vv, lower, upper):
        nonlocal r
        rows.append(np.asarray(rr) + r)
        cols.append(np.asarray(cc))
        vals.append(np.asarray(vv, dtype=float))
        lo.append(np.asarray(lower, dtype=float))
        hi.append(np.asarray(upper, dtype=float))
        r += len(lower)

    C = len(class_needs)
    add(b.y_c, Y, np.ones(M), np.full(C, -np.inf), count)
    add(np.concatenate([b.y_p, np.arange(P)]), np.concatenate([Y, np.arange(P)]),
        np.concatenate([yv, -capacity]), np.full(P, -np.inf), np.zeros(P))
    if links:
        add(np.concatenate([np.arange(M), np.arange(M)]), np.concatenate([Y, b.y_p]),
            np.concatenate([np.ones(M), -b.y_ub]), np.full(M, -np.inf), np.zeros(M))
    add(np.concatenate([np.arange(P), b.y_p]), np.concatenate([np.arange(P), Y]),
        np.concatenate([np.ones(P), -np.ones(M)]), np.full(P, -np.inf), np.zeros(P))
    add(np.concatenate([b.z_p, np.arange(P)]), np.concatenate([Z, np.arange(P)]),
        np.concatenate([np.ones(G), -budget]), np.zeros(P), np.zeros(P))
    add(np.array([frow[fi] for fi in z_f], dtype=np.int64), Z, np.ones(G), np.full(len(funds), -np.inf), available)
    b.A = csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, b.n))
    b.lo, b.hi = np.concatenate(lo), np.concatenate(hi)
    for g, fi in enumerate(z_f):
        if fi in coupling:
            b.coupling_cols.setdefault(fi, []).append(P + M + g)
    full = np.zeros(3)
    for c in range(C):
        full[class_u[c]] += class_v[c] * count[c]
    b.full = full
    return b


def people_row(b: Block, u: int) -> np.ndarray:
    """Coefficients of 'people of urgency u served' over the block's columns."""
    row = np.zeros(b.n)
    P = len(b.props)
    sel = np.nonzero(b.class_u[b.y_c] == u)[0]
    row[P + sel] = b.class_v[b.y_c[sel]]
    return row


@dataclass
class BlockResult:
    bound: float  # upper bound on the block's Lagrangian objective
    value: float  # the incumbent's objective (-inf: none)
    x: np.ndarray | None
    seconds: float
    status: str


def solve_block(b: Block, c: np.ndarray, extra_rows: list[tuple[np.ndarray, float, float]],
                time_limit: float, gap: float = 1e-6, lp: bool = False) -> BlockResult:
    """Maximise ``c·col`` over the block (plus ``extra_rows``: (coefficients, lo, hi))."""
    t0 = time.perf_counter()
    A, lo, hi = b.A, b.lo, b.hi
    if extra_rows:
        A = vstack([A] + [csr_matrix(row.reshape(1, -1)) for row, _, _ in extra_rows], format="csr")
        lo = np.concatenate([lo, [r[1] for r in extra_rows]])
        hi = np.concatenate([hi, [r[2] for r in extra_rows]])
    P, M = len(b.props), len(b.y_p)
    ub = np.concatenate([np.ones(P), b.y_ub, b.z_ub])
    integrality = np.concatenate([np.ones(P + M), np.zeros(len(b.z_p))]) if not lp else np.zeros(b.n)
    res = milp(-c, integrality=integrality, bounds=Bounds(np.zeros(b.n), ub),
               constraints=LinearConstraint(A, lo, hi),
               options={"time_limit": max(0.05, time_limit), "mip_rel_gap": gap, "presolve": True})
    seconds = time.perf_counter() - t0
    if res.x is None:
        dual = getattr(res, "mip_dual_bound", None)
        bound = -float(dual) if dual is not None and math.isfinite(dual) else math.inf
        return BlockResult(bound, -math.inf, None, seconds, res.message)
    value = -float(res.fun)
    dual = getattr(res, "mip_dual_bound", None)
    bound = value if lp or res.status == 0 and dual is None else -float(dual)
    if lp:
        bound = value  # an LP optimum; only used for multipliers, never reported
    return BlockResult(max(bound, value), value, res.x, seconds, res.message)


def assignment(graph: Graph, b: Block, x: np.ndarray) -> dict[int, list[int]]:
    """Proposal (graph index) -> needs, from a block solution: counts per class turned into
    that class's needs, oldest first."""
    P, M = len(b.props), len(b.y_p)
    taken = [0] * len(b.class_needs)
    out: dict[int, list[int]] = {}
    funded = x[:P] > 0.5
    for e in range(M):
        k = round(float(x[P + e]))
        lp = int(b.y_p[e])
        if k <= 0 or not funded[lp]:
            continue
        c = int(b.y_c[e])
        lst = b.class_needs[c][taken[c]:taken[c] + k]
        taken[c] += k
        out.setdefault(b.props[lp], []).extend(lst)
    return {pi: sorted(v) for pi, v in sorted(out.items()) if v}


def stacked_lp_duals(blocks: list[Block], coupling: list[int], graph: Graph, c_blocks: list[np.ndarray],
                     held: list[tuple[list[np.ndarray], float]], time_limit: float):
    """The LP relaxation of the whole (blocks + coupling rows + held level rows) and the duals
    of the coupling rows and level rows, as starting multipliers."""
    offsets = np.cumsum([0] + [b.n for b in blocks])
    N = int(offsets[-1])
    A_parts, b_parts = [], []
    # block rows as A_ub x <= hi and -A x <= -lo (finite only)
    eq_rows, eq_b = [], []
    for b, off in zip(blocks, offsets):
        A = b.A.tocoo()
        shifted = csr_matrix((A.data, (A.row, A.col + off)), shape=(A.shape[0], N))
        fin_hi = np.isfinite(b.hi)
        is_eq = fin_hi & (b.lo == b.hi)
        up = fin_hi & ~is_eq
        dn = np.isfinite(b.lo) & ~is_eq
        A_parts.append(shifted[np.nonzero(up)[0]])
        b_parts.append(b.hi[up])
        A_parts.append(-shifted[np.nonzero(dn)[0]])
        b_parts.append(-b.lo[dn])
        eq_rows.append(shifted[np.nonzero(is_eq)[0]])
        eq_b.append(b.hi[is_eq])
    n_block_ub = sum(len(x) for x in b_parts)
    rows = []
    for fi in coupling:
        row = np.zeros(N)
        for b, off in zip(blocks, offsets):
            for col in b.coupling_cols.get(fi, ()):
                row[off + col] = 1.0
        rows.append(row)
    A_parts.append(csr_matrix(np.array(rows)) if rows else csr_matrix((0, N)))
    b_parts.append(np.array([graph.funds[fi].available / UNIT for fi in coupling]))
    for coeffs, level in held:
        row = -np.concatenate(coeffs)
        A_parts.append(csr_matrix(row.reshape(1, -1)))
        b_parts.append(np.array([-level]))
    A_ub = vstack(A_parts, format="csr")
    b_ub = np.concatenate(b_parts)
    A_eq = vstack(eq_rows, format="csr")
    b_eq = np.concatenate(eq_b)
    c = np.concatenate(c_blocks)
    ub = np.concatenate([np.concatenate([np.ones(len(b.props)), b.y_ub, b.z_ub]) for b in blocks])
    res = linprog(-c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=np.column_stack([np.zeros(N), ub]),
                  method="highs", options={"time_limit": time_limit})
    if res.status != 0:
        return None, None, None, None
    duals = -np.asarray(res.ineqlin.marginals)
    lam = np.maximum(0.0, duals[n_block_ub:n_block_ub + len(coupling)])
    mu = np.maximum(0.0, duals[n_block_ub + len(coupling):])
    xs = [res.x[off:off + b.n] for b, off in zip(blocks, offsets)]
    return -float(res.fun), lam, mu, xs
