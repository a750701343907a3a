"""The fallback for large inputs: lazy greedy by urgency-weighted people per fen, money found
local-first with rerouting, and an upper bound so the gap is known.

1. Every proposal gets a key, compared lexicographically: (crisis people, priority people,
   routine people) it could serve per fen of budget, each count estimated from the people still
   unserved in its cells, taken in urgency order into its capacity.
2. Pop the best key; recompute it (needs served since may have lowered it); if it is no longer
   the best, push it back (lazy greedy: keys only go down). Otherwise pay for it with
   ``MoneyFlow`` (its own eligible funds most local first; if short, by moving other proposals'
   shares to other funds they may use; all or nothing) and give it its needs: crisis first, then
   priority, then routine, oldest survey first within a level, each need whole and only if it
   fits the capacity left. A proposal that cannot be paid for is dropped for good (money only
   runs out).
3. Improvement: proposals dropped for want of money are retried once the greedy pass is over,
   in key order, now allowed to reroute others' shares more deeply; and the money of the chosen
   proposals is laid out again by the transportation LP (``solver.allocate``), local first.

Bounds (``bounds``): per urgency stage, first the trivial one (every servable person of that
urgency), and if the heuristic falls short of it by more than the target gap, the LP relaxation
of the cell-aggregated model (``solver.relaxation_bound``), time-boxed. Both are true upper
bounds on the lexicographic optimum's count for that stage.
"""

from __future__ import annotations

import heapq
import time
from collections import defaultdict

from .eligibility import Graph
from .solver import (URANK, MoneyFlow, Selection, Stage, class_people, relaxation_bound,
                     trivial_bound, urgency_people)

TARGET_GAP = 0.01


def solve(graph: Graph, deadline: float, bound_share: float = 0.45) -> Selection:
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

    def fill(pi: int) -> list[int]:
        p = proposals[pi]
        room = p.capacity
        chosen: list[int] = []
        for u in range(3):
            if room == 0:
                break
            pool = [ni for ci in graph.prop_cells[pi] for ni in queues[ci][u] if not served[ni]]
            if len(graph.prop_cells[pi]) > 1:
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

    ci_of = [0] * len(needs)
    for ci, cell in enumerate(graph.cell_needs):
        for ni in cell:
            ci_of[ni] = ci

    money = MoneyFlow(graph)
    heap = []
    for pi in range(P):
        key = estimate(pi)
        if any(key):
            heap.append((-key[0], -key[1], -key[2], pi))
    heapq.heapify(heap)
    assign: dict[int, list[int]] = {}
    short: list[tuple[tuple, int]] = []  # refused for money: (key, proposal)
    pops = 0
    while heap:
        neg = heapq.heappop(heap)
        pi = neg[3]
        pops += 1
        key = estimate(pi)
        if not any(key):
            continue
        fresh = (-key[0], -key[1], -key[2], pi)
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
    budget_end = start + (deadline - start) * (1 - bound_share)
    retried = added = 0
    short.sort()
    for fresh, pi in short:
        if time.perf_counter() > budget_end:
            break
        if not any(estimate(pi)):
            continue
        chosen = fill(pi)
        if not chosen:
            continue
        retried += 1
        if money.pay(pi, reroute=True):
            take(pi, chosen)
            assign[pi] = sorted(chosen)
            added += 1
    allocation = money.shares()
    stats = {"greedy_seconds": round(greedy_seconds, 3), "pops": pops, "refused_for_money": len(short),
             "retried": retried, "added_by_rerouting": added, "flow_searches": money.searches}
    selection = Selection(dict(sorted(assign.items())), [], None, stats)
    selection.stats["allocation"] = allocation
    selection.stages = bounds(graph, selection.assign, deadline)
    return selection


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
        if bound > 0 and (bound - value) / bound > target:
            left = deadline - time.perf_counter()
            if left > 0.5:
                table = table if table is not None else class_people(graph)
                # the more urgent levels reached: level v binds the optimum only if every stage
                # before v is proven (see docs/matching.md)
                levels = []
                for v in range(k):
                    if all(stages[w].proven for w in range(v)):
                        levels.append(values[v])
                    else:
                        break
                lp, how = relaxation_bound(graph, k, levels, time_limit=left / (3 - k), table=table)
                bound = min(bound, lp)
        bound = max(bound, value)
        proven = int(bound + 1e-6) <= value
        stages.append(Stage(("crisis", "priority", "routine")[k], value, bound, proven,
                            time.perf_counter() - t0, how))
    return stages
