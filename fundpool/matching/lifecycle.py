"""Status graphs: which status may follow which, checked in one place.

A graph maps each status to the statuses it may move to; a status that maps to
nothing is final. A move outside the graph is an ``IllegalTransition`` (a 409
over HTTP) naming the current and the requested status.
"""

from __future__ import annotations

from typing import Mapping

from fundpool.errors import Conflict, InvalidInput

Graph = Mapping[str, frozenset[str]]


class IllegalTransition(Conflict):
    """The record's current status does not lead to the requested one."""

    def __init__(self, kind: str, record_id: int, current: str, requested: str,
                 allowed: frozenset[str]) -> None:
        self.current, self.requested = current, requested
        then = ", ".join(sorted(allowed)) if allowed else f"nothing ({current} is final)"
        super().__init__(f"{kind} {record_id} is {current}; it cannot become {requested} "
                         f"(from {current} it can become: {then})", "status")


def check_transition(graph: Graph, kind: str, record_id: int, current: str,
                     requested: str) -> None:
    if requested not in graph:
        raise InvalidInput(f"{requested!r} is not a {kind} status; known: "
                           f"{', '.join(graph)}", "status")
    if requested not in graph[current]:
        raise IllegalTransition(kind, record_id, current, requested, graph[current])
