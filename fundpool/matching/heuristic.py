"""The fallback for large inputs: lazy greedy by urgency-weighted people per fen, money found
local-first with rerouting, a local search on the needs, and an upper bound so the gap is known.

1. Every proposal gets a key, compared lexicographically: (crisis people, priority people,
   routine people) it could serve per fen of budget, each count estimated from the people still
   unserved in its cells, taken in urgency order into its capacity.
2. Pop the best key; recompute it (needs served since may have lowered it); if it is no longer
   the best, push it back (lazy greedy: keys only go down). Otherwise pay for it with
   ``MoneyFlow`` from its own eligible funds, most local first (all or nothing), and give it its
   needs: crisis first, then priority, then routine; within a level the needs that the fewest
   proposals could serve first, then the oldest; each need whole and only if it fits. A proposal
   its own funds cannot pay for is set aside (money only runs out).
3. The set-aside proposals are retried in key order, now allowed to move other proposals'
   shares to other funds they may use (augmenting paths; until ``REROUTE_REFUSALS`` refusals in
   a row, and a quarter of the time at most).
4. Proposals passed over because others took their needs are funded from money left on their
   own funds when chains of hand-overs bring them needs and so serve more people
   (``adoption.adopt``).
5. Local search (``improve``, then ``chains.improve_chains``): a served need moves to another chosen
   proposal with room when its old proposal can then take unserved needs — directly, or along a
   chain of such hand-overs found breadth first; each move serves more people and no fewer of any
   urgency. Money is laid out again afterwards by the transportation LP (``solver.allocate``).

Bounds (``bounds``): per urgency stage, first the trivial one (every servable person of that
urgency), and if the heuristic falls short of it by more than the target gap and the model is
small enough to solve in time (``LP_COLUMN_LIMIT``, measured), the LP relaxation of the
cell-aggregated model (``solver.relaxation_bound``), else the LP of a coarser relaxation (needs
pooled by street, money by groups of proposals with the same funds: ``solver.coarse_bound``),
time-boxed. All are true upper bounds on the lexicographic optimum's count for that stage.
"""

from __future__ import annotations

import heapq
import time

from . import adoption, neighbourhoods
from .chains import improve_chains
from .eligibility import Graph
from .solver import (
    URANK,
    MoneyFlow,
    Selection,
    Stage,
    class_people,
    coarse_bound,
    relaxation_bound,
    trivial_bound,
    urgency_people,
)

TARGET_GAP = 0.01
LP_COLUMN_LIMIT = 200_000  # larger aggregated LPs do not solve in time here (measured)
SCARCE_FIRST = True
IMPROVE_UNTIL = 0.5  # of the time for the greedy and the local search on needs
WORK_PER_SECOND = 1_000  # neighbourhood model columns per second of the time limit (see ``work_for``)


# rerouting stops after this many refusals in a row: retried best key first, the later ones
# rarely fit (10,000 proposals: all 32 added among the first 33 tried, none in the next 150;
# 1,000: added at tries 3, 10, 16 and 20 of 264), and each try costs up to 0.1 s there
REROUTE_REFUSALS = 30
POLISH_LIMIT = 1_000_000  # part size (proposals + need edges + fund edges) above which it is skipped


def work_for(seconds: float, size: int) -> int:
    """The neighbourhood search's budget for a part of ``size`` given ``seconds`` of the time
    limit: counted in model columns, not seconds, so that the result does not depend on the
    machine's load. Measured (2026-11-27): a column costs HiGHS 0.4-0.9 ms with other work taking
    most of the two cores. None above ``POLISH_LIMIT``: at 10,000 proposals (6.35 million) the
    greedy and the bound's LP need the time, and a model there (3,300 columns) rarely helps."""
    return int(WORK_PER_SECOND * seconds) if size <= POLISH_LIMIT else 0


def restage(graph: Graph, stages: list[Stage], assign: dict[int, list[int]],
            other: list[Stage] | None = None) -> list[Stage]:
    """The stages' values for ``assign`` (served after the bounds were found), each bound the
    smaller of ``stages``' and ``other``'s: every one of them bounds the optimum whatever
    solution is reported."""
    values = urgency_people(graph, assign)
    out = []
    for k, (s, value) in enumerate(zip(stages, values)):
        bound, status = s.bound, s.status
        if other is not None:
            bound, status = min(bound, other[k].bound), f"{status}; again: {other[k].status}"
        bound = max(bound, float(value))
        out.append(Stage(s.name, float(value), bound, int(bound + 1e-6) <= value, s.seconds, status, s.nodes))
    return out


def polish(graph: Graph, selection: Selection, work: int, deadline: float) -> None:
    """Neighbourhoods re-solved exactly (``neighbourhoods.improve``), in place: the selection
    only gets lexicographically better, its whole-fen shares stay valid. If it has stages, their
    values are recounted, and when more crisis or priority people are served the bounds are
    found again in the time left (a higher level held makes the next stage's LP tighter)."""
    before = urgency_people(graph, selection.assign)
    assign, allocation, stats = neighbourhoods.improve(graph, selection.assign, selection.stats["allocation"],
                                                       work, deadline)
    selection.assign = assign
    selection.stats["allocation"] = allocation
    selection.stats["neighbourhoods"] = stats
    if selection.stages:
        again = None
        if urgency_people(graph, assign)[:2] != before[:2]:
            again = bounds(graph, assign, deadline)
        selection.stages = restage(graph, selection.stages, assign, again)


def solve(graph: Graph, deadline: float, reroute_share: float = 0.25,
          start_with: dict[int, list[int]] | None = None, with_bounds: bool = True,
          work: int = 0) -> Selection:
    """``start_with``: a solution to extend (e.g. the exact solver's when it ran out of time): its
    proposals are paid and keep their needs, fill their spare capacity, and the greedy goes on.
    ``work``: the neighbourhood search's budget (``polish``), 0 for none."""
    start = time.perf_counter()
    assign, money, stats = _greedy(graph, deadline, reroute_share, start_with)
    until = start + (deadline - start) * IMPROVE_UNTIL
    adopt_start = time.perf_counter()
    assign, stats["adopted"] = adoption.adopt(graph, assign, money, until)
    stats["adopt_seconds"] = round(time.perf_counter() - adopt_start, 3)
    allocation = money.shares()
    # local search on the needs of the chosen proposals (money unchanged)
    assign, stats["improving_moves"] = improve(graph, assign, until)
    assign, stats["improving_chains"] = improve_chains(graph, assign, until)
    selection = Selection(dict(sorted(assign.items())), [], None, stats)
    selection.stats["allocation"] = {pi: allocation[pi] for pi in assign}
    stats["seconds_before_bounds"] = round(time.perf_counter() - start, 3)
    if with_bounds:
        selection.stages = bounds(graph, selection.assign, deadline)
    if work > 0:
        # after the bounds (they hold whatever is served later), so that its work budget, not
        # the clock, is what ends it
        polish(graph, selection, work, deadline)
    return selection


def _greedy(graph: Graph, deadline: float, reroute_share: float, start_with: dict[int, list[int]] | None):
    start = time.perf_counter()
    needs, proposals = graph.needs, graph.proposals
    P = len(proposals)
    # per cell and urgency: need indices oldest first, and the people still unserved
    queues: list[list[list[int]]] = []
    remaining: list[list[int]] = []
    for cell in graph.cell_needs:
        per = [[], [], []]
        for ni in cell:
            per[URANK[needs[ni].urgency]].append(ni)
        for lst in per:
            lst.sort(key=lambda ni: (needs[ni].survey_date, needs[ni].id))
        queues.append(per)
        remaining.append([sum(needs[ni].people for ni in lst) for lst in per])
    served = bytearray(len(needs))

    def estimate(pi: int) -> tuple[float, float, float]:
        p = proposals[pi]
        room = p.capacity
        values = []
        for u in range(3):
            avail = sum(remaining[ci][u] for ci in graph.prop_cells[pi])
            take = min(room, avail)
            room -= take
            values.append(take / p.budget)
        return values[0], values[1], values[2]

    def fill(pi: int, room: int | None = None) -> list[int]:
        p = proposals[pi]
        room = p.capacity if room is None else room
        chosen: list[int] = []
        for u in range(3):
            if room == 0:
                break
            pool = [ni for ci in graph.prop_cells[pi] for ni in queues[ci][u] if not served[ni]]
            if SCARCE_FIRST:  # needs that fewer proposals could serve first, then oldest
                pool.sort(key=lambda ni: (degree[ci_of[ni]], needs[ni].survey_date, needs[ni].id))
            elif len(graph.prop_cells[pi]) > 1:
                pool.sort(key=lambda ni: (needs[ni].survey_date, needs[ni].id))
            for ni in pool:
                people = needs[ni].people
                if people <= room:
                    chosen.append(ni)
                    room -= people
                    if room == 0:
                        break
        return chosen

    def take(pi: int, chosen: list[int]) -> None:
        for ni in chosen:
            served[ni] = 1
            n = needs[ni]
            remaining[ci_of[ni]][URANK[n.urgency]] -= n.people

    degree = [0] * len(graph.cell_needs)  # proposals that could serve a cell
    for cells in graph.prop_cells:
        for ci in cells:
            degree[ci] += 1
    ci_of = graph.need_cell

    money = MoneyFlow(graph)
    assign: dict[int, list[int]] = {}
    for pi, chosen in sorted((start_with or {}).items()):
        if money.pay(pi):
            take(pi, chosen)
            assign[pi] = list(chosen)
    for pi in sorted(assign):  # spare capacity
        room = proposals[pi].capacity - sum(needs[ni].people for ni in assign[pi])
        if room > 0:
            extra = fill(pi, room)
            take(pi, extra)
            assign[pi] = sorted(assign[pi] + extra)
    heap = []
    for pi in range(P):
        if pi in assign:
            continue
        key = estimate(pi)
        if any(key):
            heap.append((tuple(-v for v in key), pi))
    heapq.heapify(heap)
    short: list[tuple[tuple, int]] = []  # refused for money: (key, proposal)
    pops = 0
    while heap:
        neg = heapq.heappop(heap)
        pi = neg[1]
        pops += 1
        key = estimate(pi)
        if not any(key):
            continue
        fresh = (tuple(-v for v in key), pi)
        if heap and fresh > heap[0]:
            heapq.heappush(heap, fresh)
            continue
        chosen = fill(pi)
        if not chosen:
            continue
        if not money.pay(pi, reroute=False):
            short.append((fresh, pi))
            continue
        take(pi, chosen)
        assign[pi] = sorted(chosen)
    greedy_seconds = time.perf_counter() - start

    # improvement: retry the proposals refused for money, rerouting others' shares
    budget_end = time.perf_counter() + (deadline - time.perf_counter()) * reroute_share
    retried = added = refused_in_a_row = 0
    short.sort()
    for fresh, pi in short:
        if time.perf_counter() > budget_end or refused_in_a_row >= REROUTE_REFUSALS:
            break
        if pi in assign or not any(estimate(pi)):
            continue
        chosen = fill(pi)
        if not chosen:
            continue
        retried += 1
        if money.pay(pi, reroute=True):
            take(pi, chosen)
            assign[pi] = sorted(chosen)
            added += 1
            refused_in_a_row = 0
        else:
            refused_in_a_row += 1
    stats = {"greedy_seconds": round(greedy_seconds, 3), "pops": pops, "refused_for_money": len(short),
             "retried": retried, "added_by_rerouting": added, "flow_searches": money.searches}
    return assign, money, stats


def bounds(graph: Graph, assign: dict[int, list[int]], deadline: float, target: float = TARGET_GAP
           ) -> list[Stage]:
    """Per urgency stage: the heuristic's count and a true upper bound on the optimum's."""
    values = urgency_people(graph, assign)
    stages: list[Stage] = []
    table = None
    for k in range(3):
        t0 = time.perf_counter()
        value = float(values[k])
        bound = trivial_bound(graph, k)
        how = "trivial"
        if bound > 0 and (bound - value) / bound > target and deadline - time.perf_counter() > 0.3:
            table = table if table is not None else class_people(graph)
            # the more urgent levels reached: level v binds the optimum only if every stage
            # before v is proven (see docs/matching.md)
            levels = []
            for v in range(k):
                if all(stages[w].proven for w in range(v)):
                    levels.append(values[v])
                else:
                    break
            columns = len(graph.proposals) + len(graph.pay) + sum(map(len, graph.prop_cells)) * (k + 1)
            # the quick LP first, then the tighter one in the time left (each is a true bound)
            if columns <= LP_COLUMN_LIMIT:
                attempts = [lambda t, k=k, lv=levels, tb=table: relaxation_bound(graph, k, lv, time_limit=t,
                                                                                  table=tb, links=False),
                            lambda t, k=k, lv=levels, tb=table: relaxation_bound(graph, k, lv, time_limit=t, table=tb)]
            else:
                attempts = [lambda t, k=k, lv=levels, tb=table: coarse_bound(graph, k, lv, time_limit=t, table=tb)]
            hows = []
            for attempt in attempts:
                left = deadline - time.perf_counter()
                if left <= 0.3:
                    break
                lp, how_lp = attempt(left / (3 - k))
                hows.append(how_lp + ("" if how_lp.startswith("trivial") else f" {lp:.1f}"))
                if not how_lp.startswith("trivial"):
                    bound = min(bound, lp)
            how = "; ".join(hows) or "trivial (no time left)"
        bound = max(bound, value)
        proven = int(bound + 1e-6) <= value
        stages.append(Stage(("crisis", "priority", "routine")[k], value, bound, proven,
                            time.perf_counter() - t0, how))
    return stages


def improve(graph: Graph, assign: dict[int, list[int]], deadline: float) -> tuple[dict[int, list[int]], int]:
    """Local search on the needs of a fixed set of proposals: move a served need n from its
    proposal q to a proposal p with room for it, when q can then take unserved needs into the
    room n leaves (and what it had). Every move serves strictly more people and no fewer of any
    urgency, so the result is lexicographically better; passes repeat until none helps or time
    is up. Returns (assignment, moves)."""
    needs, proposals = graph.needs, graph.proposals
    served_by = [-1] * len(needs)
    room = {}
    for pi, lst in assign.items():
        room[pi] = proposals[pi].capacity - sum(needs[ni].people for ni in lst)
        for ni in lst:
            served_by[ni] = pi
    current = {pi: list(lst) for pi, lst in assign.items()}
    cells_of = {pi: graph.prop_cells[pi] for pi in current}
    key = lambda ni: (URANK[needs[ni].urgency], -needs[ni].people, needs[ni].survey_date, needs[ni].id)

    def unserved_fill(q: int, r: int, exclude: int) -> list[int]:
        pool = sorted((ni for ci in cells_of[q] for ni in graph.cell_needs[ci]
                       if served_by[ni] == -1 and ni != exclude and needs[ni].people <= r), key=key)
        out = []
        for ni in pool:
            if needs[ni].people <= r:
                out.append(ni)
                r -= needs[ni].people
        return out

    moves = 0
    changed = True
    while changed and time.perf_counter() < deadline:
        changed = False
        for p in sorted(current, key=lambda pi: (-room[pi], pi)):
            if room[p] <= 0:
                continue
            if time.perf_counter() > deadline:
                break
            direct = unserved_fill(p, room[p], -1)
            if direct:
                for ni in direct:
                    served_by[ni] = p
                    current[p].append(ni)
                    room[p] -= needs[ni].people
                changed = True
                moves += 1
                continue
            candidates = sorted((ni for ci in cells_of[p] for ni in graph.cell_needs[ci]
                                 if served_by[ni] not in (-1, p) and needs[ni].people <= room[p]), key=key)
            for ni in candidates:
                q = served_by[ni]
                if q in (-1, p) or needs[ni].people > room[p]:  # changed by an earlier move
                    continue
                gain = unserved_fill(q, room[q] + needs[ni].people, ni)
                if not gain:
                    continue
                served_by[ni] = p
                current[q].remove(ni)
                current[p].append(ni)
                room[p] -= needs[ni].people
                room[q] += needs[ni].people
                for nj in gain:
                    served_by[nj] = q
                    current[q].append(nj)
                    room[q] -= needs[nj].people
                moves += 1
                changed = True
                if room[p] <= 0:
                    break
    return {pi: sorted(v) for pi, v in sorted(current.items()) if v}, moves
