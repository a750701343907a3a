"""Funding the proposals the greedy passed over because others had taken their needs.

The greedy funds proposals by people served per fen. A proposal of one community, paid from
that community's fund, often comes late: by then proposals with wider areas (a street, several
streets) serve its community's needs, so it would serve nobody and is skipped, and its
community fund's money stays unused. Measured on the 10,000-proposal benchmark instance: 358
unfunded proposals could have been paid in full from money nobody held, each with all its needs
served by others, while the community funds' money was 28 % used.

``adopt`` funds such a proposal q when that serves more people: q is paid from what its own
eligible funds have left, then takes needs by chains of hand-overs (``chains.Handovers``): q
takes a need from r1, r1 one from r2, ..., and the last, with the room so freed, serves an
unserved need. Each chain serves one more need, so the result is lexicographically better; a
proposal no chain reaches is unpaid again, so money is never spent on nobody.
"""

from __future__ import annotations

import time

from .chains import Handovers
from .eligibility import Graph
from .solver import MoneyFlow


def adopt(graph: Graph, assign: dict[int, list[int]], money: MoneyFlow, deadline: float
          ) -> tuple[dict[int, list[int]], int]:
    """Fund unfunded proposals, cheapest per head of capacity first, whose own funds can still
    pay their whole budget and to which chains bring needs. ``money`` is updated in place.
    Returns (assignment, proposals funded)."""
    proposals = graph.proposals
    handovers = Handovers(graph, assign)
    candidates = sorted((pi for pi in range(len(proposals)) if pi not in assign),
                        key=lambda pi: (proposals[pi].budget / proposals[pi].capacity, pi))
    adopted = 0
    for q in candidates:
        if time.perf_counter() > deadline:
            break
        if money.direct(q) < proposals[q].budget or not money.pay(q, reroute=False):
            continue
        handovers.add(q)
        while handovers.room[q] > 0 and time.perf_counter() < deadline and handovers.extend(q):
            pass
        if handovers.current[q]:
            adopted += 1
        else:
            handovers.remove(q)
            money.unpay(q)
    return handovers.assignment(), adopted
