"""Who may serve whom, and who may pay for whom.

A proposal may serve a need when the need's category is one of the proposal's categories, the
need's community lies in the proposal's area (some code on the need's path is in ``area``) and
the need fits in the proposal's capacity (needs are served whole).

A fund may pay for a proposal when
- it has money available and ``valid_from <= on <= valid_to`` (where set);
- its categories, if any, include **all** of the proposal's categories (not only those of the
  needs it would serve: the money pays for the whole project);
- the proposal's whole area lies inside the fund's area: every area path of the proposal passes
  through the fund's own pool and through one of the fund's ``area`` codes (when it has any);
- its per-grant limit, if any, is above zero. A share is then at most
  ``min(available, per_grant_limit, budget)`` (``cap``).

``Graph`` keeps only what can matter: proposals that have a need to serve and whose eligible
funds could together pay the whole budget, the needs such a proposal could serve, and the funds
that could pay for one. Everything is sorted by id, so the model built from it does not depend
on the order of the input tuples.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from .problem import LEVELS, URGENCIES, Fund, Need, Problem, Proposal


def area_code_for(need: Need, proposal: Proposal) -> str | None:
    """The most specific code of the proposal's area that contains the need's community."""
    for code in reversed(need.pool_path):
        if code in proposal.area:
            return code
    return None


def may_serve(proposal: Proposal, need: Need) -> bool:
    return (need.category in proposal.categories and need.people <= proposal.capacity
            and area_code_for(need, proposal) is not None)


def fund_is_open(fund: Fund, on: date) -> bool:
    return (fund.available > 0
            and (fund.per_grant_limit is None or fund.per_grant_limit > 0)
            and (fund.valid_from is None or fund.valid_from <= on)
            and (fund.valid_to is None or on <= fund.valid_to))


def proposal_paths(proposal: Proposal) -> tuple[tuple[str, ...], ...]:
    """One path per area code; a code without a given path stands for itself only."""
    given = {path[-1]: path for path in proposal.area_paths if path}
    return tuple(given.get(code, (code,)) for code in sorted(proposal.area))


def fund_covers(fund: Fund, proposal: Proposal) -> bool:
    """Categories and area (validity and money are ``fund_is_open``)."""
    if fund.categories and not proposal.categories <= fund.categories:
        return False
    pool = fund.pool_path[-1]
    paths = proposal_paths(proposal)
    if not paths:
        return False
    for path in paths:
        if pool not in path:
            return False
        if fund.area and not any(code in fund.area for code in path):
            return False
    return True


def may_pay(fund: Fund, proposal: Proposal, on: date) -> bool:
    return fund_is_open(fund, on) and fund_covers(fund, proposal)


def cap(fund: Fund, proposal: Proposal) -> int:
    """The most this fund can put into this proposal, taken alone."""
    limit = fund.available if fund.per_grant_limit is None else min(fund.available, fund.per_grant_limit)
    return min(limit, proposal.budget)


def level_index(fund: Fund) -> int:
    """0 community, 1 street, 2 district, 3 city: lower is more local."""
    return len(LEVELS) - len(fund.pool_path)


def validate(problem: Problem) -> None:
    """Refuse input that no rule could make sense of (the API checks it before; this is a guard)."""
    for kind, rows in (("need", problem.needs), ("proposal", problem.proposals), ("fund", problem.funds)):
        ids = [row.id for row in rows]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate {kind} ids")
    for n in problem.needs:
        if n.urgency not in URGENCIES:
            raise ValueError(f"need {n.id}: unknown urgency {n.urgency!r}")
        if n.people <= 0 or not n.pool_path:
            raise ValueError(f"need {n.id}: people must be > 0 and pool_path not empty")
    for p in problem.proposals:
        if p.budget <= 0 or p.capacity <= 0:
            raise ValueError(f"proposal {p.id}: budget and capacity must be > 0")
    for f in problem.funds:
        if not 1 <= len(f.pool_path) <= len(LEVELS) or f.available < 0:
            raise ValueError(f"fund {f.id}: bad pool_path or negative available")


@dataclass
class Graph:
    """The eligibility graph, pruned, everything indexed by position in id order.

    Needs are grouped into *cells*, (need path, category): every need of a cell may be served by
    the same proposals (up to capacity), so proposals link to cells, not to each need; the
    explicit need edges (``serve``) are made only when the exact solver asks for them.
    """
    on: date
    needs: list[Need]
    proposals: list[Proposal]
    funds: list[Fund]
    pay: list[tuple[int, int, int]]  # (proposal index, fund index, cap), sorted
    cells: list[tuple[tuple[str, ...], str]]  # (need path, category), sorted
    cell_needs: list[list[int]]  # need indices of each cell, ascending
    prop_cells: list[list[int]]  # cell indices of each proposal, ascending
    dropped: dict = field(default_factory=dict)
    _serve: list[tuple[int, int]] | None = None
    _need_cell: list[int] | None = None

    @classmethod
    def build(cls, problem: Problem) -> Graph:
        validate(problem)
        needs = sorted(problem.needs, key=lambda n: n.id)
        proposals = sorted(problem.proposals, key=lambda p: p.id)
        funds = sorted((f for f in problem.funds if fund_is_open(f, problem.on)), key=lambda f: f.id)

        cell_of: dict[tuple[tuple[str, ...], str], list[int]] = defaultdict(list)
        for ni, n in enumerate(needs):
            cell_of[(n.pool_path, n.category)].append(ni)
        cells = sorted(cell_of)
        cell_min = [min(needs[ni].people for ni in cell_of[c]) for c in cells]
        by_code: dict[tuple[str, str], list[int]] = defaultdict(list)
        for ci, (path, category) in enumerate(cells):
            for code in path:
                by_code[(code, category)].append(ci)
        prop_cells: list[list[int]] = []
        for p in proposals:
            found = {ci for code in p.area for category in p.categories
                     for ci in by_code.get((code, category), ())}
            prop_cells.append(sorted(ci for ci in found if cell_min[ci] <= p.capacity))

        # fund edges through an index (fund area code) -> funds; every path of a covered
        # proposal passes through one of the fund's area codes, so the first path finds it
        fund_by_code: dict[str, list[int]] = defaultdict(list)
        for fi, f in enumerate(funds):
            for code in (f.area or {f.pool_path[-1]}):
                fund_by_code[code].append(fi)
        pay: list[tuple[int, int, int]] = []
        for pi, p in enumerate(proposals):
            paths = proposal_paths(p)
            if not paths or not prop_cells[pi]:
                continue
            candidates = sorted({fi for code in paths[0] for fi in fund_by_code.get(code, ())})
            for fi in candidates:
                f = funds[fi]
                if fund_covers(f, p):
                    pay.append((pi, fi, cap(f, p)))

        # prune: a proposal needs a need and enough eligible money; then needs, cells and funds
        money: dict[int, int] = defaultdict(int)
        for pi, _, c in pay:
            money[pi] += c
        keep_p = [pi for pi, p in enumerate(proposals) if prop_cells[pi] and money[pi] >= p.budget]
        dropped = {"proposals_without_needs": sum(1 for c in prop_cells if not c),
                   "proposals_without_money": sum(1 for pi, p in enumerate(proposals)
                                                  if prop_cells[pi] and money[pi] < p.budget)}
        max_cap = [0] * len(cells)
        for pi in keep_p:
            for ci in prop_cells[pi]:
                max_cap[ci] = max(max_cap[ci], proposals[pi].capacity)
        keep_n = sorted(ni for ci, c in enumerate(cells) for ni in cell_of[c] if needs[ni].people <= max_cap[ci])
        keep_c = [ci for ci in range(len(cells)) if max_cap[ci] > 0]
        keep_p_set = set(keep_p)
        keep_f = sorted({fi for pi, fi, _ in pay if pi in keep_p_set})
        dropped["needs_unservable"] = len(needs) - len(keep_n)
        dropped["funds_unusable"] = len(problem.funds) - len(keep_f)
        p_new = {old: new for new, old in enumerate(keep_p)}
        n_new = {old: new for new, old in enumerate(keep_n)}
        f_new = {old: new for new, old in enumerate(keep_f)}
        c_new = {old: new for new, old in enumerate(keep_c)}
        return cls(
            on=problem.on, needs=[needs[i] for i in keep_n], proposals=[proposals[i] for i in keep_p],
            funds=[funds[i] for i in keep_f],
            pay=[(p_new[pi], f_new[fi], c) for pi, fi, c in pay if pi in keep_p_set],
            cells=[cells[ci] for ci in keep_c],
            cell_needs=[[n_new[ni] for ni in cell_of[cells[ci]] if ni in n_new] for ci in keep_c],
            prop_cells=[[c_new[ci] for ci in prop_cells[pi]] for pi in keep_p],
            dropped=dropped)

    @property
    def serve(self) -> list[tuple[int, int]]:
        """Explicit need edges (proposal index, need index), sorted."""
        if self._serve is None:
            edges = []
            for pi, p in enumerate(self.proposals):
                for ci in self.prop_cells[pi]:
                    edges.extend((pi, ni) for ni in self.cell_needs[ci] if self.needs[ni].people <= p.capacity)
            edges.sort()
            self._serve = edges
        return self._serve

    @property
    def need_cell(self) -> list[int]:
        """The cell index of each need."""
        if self._need_cell is None:
            self._need_cell = [0] * len(self.needs)
            for ci, cell in enumerate(self.cell_needs):
                for ni in cell:
                    self._need_cell[ni] = ci
        return self._need_cell

    def serve_estimate(self) -> int:
        """An upper bound on ``len(serve)`` without making the edges."""
        sizes = [len(c) for c in self.cell_needs]
        return sum(sizes[ci] for cells in self.prop_cells for ci in cells)

    def components(self) -> list[Graph]:
        """Split into parts that share no need and no fund (each is solved on its own)."""
        parent = list(range(len(self.proposals)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        def union(a: int, b: int) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

        first_of_cell: dict[int, int] = {}
        for pi, cells in enumerate(self.prop_cells):
            for ci in cells:
                if ci in first_of_cell:
                    union(first_of_cell[ci], pi)
                else:
                    first_of_cell[ci] = pi
        first_of_fund: dict[int, int] = {}
        for pi, fi, _ in self.pay:
            if fi in first_of_fund:
                union(first_of_fund[fi], pi)
            else:
                first_of_fund[fi] = pi
        groups: dict[int, list[int]] = defaultdict(list)
        for pi in range(len(self.proposals)):
            groups[find(pi)].append(pi)
        if len(groups) <= 1:
            return [self]
        root_of = [find(pi) for pi in range(len(self.proposals))]
        pay_by: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for pi, fi, c in self.pay:
            pay_by[root_of[pi]].append((pi, fi, c))
        parts = []
        for root in sorted(groups):
            pis = groups[root]
            cs = sorted({ci for pi in pis for ci in self.prop_cells[pi]})
            ns = sorted(ni for ci in cs for ni in self.cell_needs[ci])
            fs = sorted({fi for _, fi, _ in pay_by[root]})
            p_new = {old: new for new, old in enumerate(pis)}
            n_new = {old: new for new, old in enumerate(ns)}
            f_new = {old: new for new, old in enumerate(fs)}
            c_new = {old: new for new, old in enumerate(cs)}
            parts.append(Graph(
                on=self.on, needs=[self.needs[i] for i in ns], proposals=[self.proposals[i] for i in pis],
                funds=[self.funds[i] for i in fs],
                pay=[(p_new[pi], f_new[fi], c) for pi, fi, c in pay_by[root]],
                cells=[self.cells[ci] for ci in cs],
                cell_needs=[[n_new[ni] for ni in self.cell_needs[ci]] for ci in cs],
                prop_cells=[[c_new[ci] for ci in self.prop_cells[pi]] for pi in pis]))
        return parts

    def size(self) -> int:
        """What the exact solver's difficulty grows with: about the variables of its model."""
        return len(self.proposals) + self.serve_estimate() + len(self.pay)
