"""Chains of hand-overs between funded proposals: the local search's longer move.

From a proposal p0 with room, a chain p0 <- q1 <- q2 ... <- qk where each q_i hands one of its
needs (that the one before it may serve and has room for) to the one before it, and qk, with the
room so freed, takes an unserved need. Each chain serves one more need and moves the others
whole, so every applied chain makes the assignment lexicographically better (no urgency serves
fewer) without touching money.
"""

from __future__ import annotations

import time

from .eligibility import Graph
from .solver import URANK

MAX_DEPTH = 8
# a search queues no more proposals after this many: longer ones rarely find a chain (measured)
MAX_VISITS = 200


class Handovers:
    """Who serves which need, and each funded proposal's room; changed only by whole chains."""

    def __init__(self, graph: Graph, assign: dict[int, list[int]]):
        self.graph = graph
        needs = graph.needs
        self.served_by = [-1] * len(needs)
        self.current: dict[int, set[int]] = {pi: set(lst) for pi, lst in assign.items()}
        self.room: dict[int, int] = {}
        for pi, lst in assign.items():
            self.room[pi] = graph.proposals[pi].capacity - sum(needs[ni].people for ni in lst)
            for ni in lst:
                self.served_by[ni] = pi
        # per cell: need indices by number of people, each list in rank order; a served need
        # never becomes unserved again here, so each list's served prefix is skipped for good
        self.buckets: list[list[tuple[int, list[int]]]] = []
        for cell in graph.cell_needs:
            by_people: dict[int, list[int]] = {}
            for ni in sorted(cell, key=self._rank):
                by_people.setdefault(needs[ni].people, []).append(ni)
            self.buckets.append(sorted(by_people.items()))
        self.heads: list[list[int]] = [[0] * len(b) for b in self.buckets]
        self.cell_of = graph.need_cell
        self.unserved = [0] * len(graph.cell_needs)  # unserved needs of each cell
        # per cell: proposal -> the needs of the cell it serves (kept through every hand-over)
        self.servers: list[dict[int, dict[int, None]]] = [{} for _ in graph.cell_needs]
        for ci, cell in enumerate(graph.cell_needs):
            for ni in cell:
                r = self.served_by[ni]
                if r == -1:
                    self.unserved[ci] += 1
                else:
                    self.servers[ci].setdefault(r, {})[ni] = None

    def add(self, pi: int) -> None:
        """A newly funded proposal, serving nobody yet."""
        self.current[pi] = set()
        self.room[pi] = self.graph.proposals[pi].capacity

    def remove(self, pi: int) -> None:
        """Take back a proposal that ``add`` added and no chain gave a need."""
        if self.current[pi]:
            raise ValueError(f"proposal {pi} serves needs; it cannot be taken back")
        del self.current[pi], self.room[pi]

    def assignment(self) -> dict[int, list[int]]:
        return {pi: sorted(v) for pi, v in sorted(self.current.items()) if v}

    def _rank(self, ni: int):
        n = self.graph.needs[ni]
        return URANK[n.urgency], -n.people, n.survey_date, n.id

    def _best_unserved(self, q: int, avail: int) -> int | None:
        """The unserved need of q's cells with at most ``avail`` people that ranks first."""
        served_by, best = self.served_by, None
        for ci in self.graph.prop_cells[q]:
            if not self.unserved[ci]:
                continue
            heads = self.heads[ci]
            for k, (people, lst) in enumerate(self.buckets[ci]):
                if people > avail:
                    break
                h = heads[k]
                while h < len(lst) and served_by[lst[h]] != -1:
                    h += 1
                heads[k] = h
                if h < len(lst) and (best is None or self._rank(lst[h]) < self._rank(best)):
                    best = lst[h]
        return best

    def extend(self, p0: int, max_depth: int = MAX_DEPTH) -> bool:
        """Find a chain from p0 breadth first (each proposal once) and apply it; False if none."""
        graph, needs, room = self.graph, self.graph.needs, self.room
        parent: dict[int, tuple[int, int]] = {}
        avail = {p0: room[p0]}
        depth = {p0: 0}
        queue = [p0]
        head = 0
        found = None
        while head < len(queue):
            q = queue[head]
            head += 1
            m = self._best_unserved(q, avail[q])
            if m is not None:
                found = (q, m)
                break
            if depth[q] >= max_depth or len(queue) >= MAX_VISITS:
                continue
            limit = avail[q]
            for ci in graph.prop_cells[q]:
                for r, served in self.servers[ci].items():
                    if r == q or r in avail:
                        continue
                    ni = self._largest(served, limit)
                    if ni is not None:
                        parent[r] = (q, ni)
                        avail[r] = room[r] + needs[ni].people
                        depth[r] = depth[q] + 1
                        queue.append(r)
        if found is None:
            return False
        t, m = found
        self.unserved[self.cell_of[m]] -= 1
        self._serve(m, t)
        r = t
        while r in parent:
            q, ni = parent[r]
            self.current[r].discard(ni)
            room[r] += needs[ni].people
            servers = self.servers[self.cell_of[ni]]
            del servers[r][ni]
            if not servers[r]:
                del servers[r]
            self._serve(ni, q)
            r = q
        return True

    def _serve(self, ni: int, pi: int) -> None:
        self.served_by[ni] = pi
        self.current[pi].add(ni)
        self.room[pi] -= self.graph.needs[ni].people
        self.servers[self.cell_of[ni]].setdefault(pi, {})[ni] = None

    def _largest(self, served: dict[int, None], limit: int) -> int | None:
        """Of ``served``, the need with the most people up to ``limit`` (the first such)."""
        needs, best, most = self.graph.needs, None, 0
        for ni in served:
            people = needs[ni].people
            if most < people <= limit:
                best, most = ni, people
                if people == limit:
                    break
        return best


def improve_chains(graph: Graph, assign: dict[int, list[int]], deadline: float
                   ) -> tuple[dict[int, list[int]], int]:
    """Chains from every funded proposal with room, most room first, until none is found or
    time is up. Returns (assignment, chains applied)."""
    handovers = Handovers(graph, assign)
    room = handovers.room
    applied = 0
    dead: set[int] = set()  # roots whose search found nothing since the last change
    progress = True
    while progress and time.perf_counter() < deadline:
        progress = False
        for p0 in sorted(handovers.current, key=lambda pi: (-room[pi], pi)):
            if room[p0] <= 0 or p0 in dead:
                continue
            if time.perf_counter() > deadline:
                break
            if handovers.extend(p0):
                applied += 1
                progress = True
                dead.clear()
            else:
                dead.add(p0)
    return handovers.assignment(), applied
