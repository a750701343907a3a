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

    def add(self, pi: int) -> None:
        """A newly funded proposal, serving nobody yet."""
        self.current[pi] = set()
        self.room[pi] = self.graph.proposals[pi].capacity

    def remove(self, pi: int) -> None:
        """Take back a proposal that ``add`` added and no chain gave a need."""
        assert not self.current[pi]
        del self.current[pi], self.room[pi]

    def assignment(self) -> dict[int, list[int]]:
        return {pi: sorted(v) for pi, v in sorted(self.current.items()) if v}

    def _rank(self, ni: int):
        n = self.graph.needs[ni]
        return URANK[n.urgency], -n.people, n.survey_date, n.id

    def _best_unserved(self, q: int, avail: int) -> int | None:
        graph, best = self.graph, None
        for ci in graph.prop_cells[q]:
            for ni in graph.cell_needs[ci]:
                if (self.served_by[ni] == -1 and graph.needs[ni].people <= avail
                        and (best is None or self._rank(ni) < self._rank(best))):
                    best = ni
        return best

    def extend(self, p0: int, max_depth: int = MAX_DEPTH) -> bool:
        """Find a chain from p0 breadth first (each proposal once) and apply it; False if none."""
        graph, needs, served_by, room = self.graph, self.graph.needs, self.served_by, self.room
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
            if depth[q] >= max_depth:
                continue
            for ci in graph.prop_cells[q]:
                for ni in graph.cell_needs[ci]:
                    r = served_by[ni]
                    if r == -1 or r == q or r in avail or needs[ni].people > avail[q]:
                        continue
                    parent[r] = (q, ni)
                    avail[r] = room[r] + needs[ni].people
                    depth[r] = depth[q] + 1
                    queue.append(r)
        if found is None:
            return False
        t, m = found
        served_by[m] = t
        self.current[t].add(m)
        room[t] -= needs[m].people
        r = t
        while r in parent:
            q, ni = parent[r]
            self.current[r].discard(ni)
            room[r] += needs[ni].people
            self.current[q].add(ni)
            room[q] -= needs[ni].people
            served_by[ni] = q
            r = q
        return True


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
