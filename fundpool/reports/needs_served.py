"""The needs a funded project serves, counted by category and urgency: one shape for the
fund-uses report and the public project report alike."""

from __future__ import annotations

from dataclasses import dataclass

from fundpool.matching.run_models import RunMatch


@dataclass(frozen=True, slots=True)
class NeedsServed:
    category: str
    urgency: str
    needs: int
    people: int


def needs_served(match: RunMatch) -> list[NeedsServed]:
    """Needs and people of ``match`` per (category, urgency), in that order."""
    counts: dict[tuple[str, str], list[int]] = {}
    for row in match.needs:
        tally = counts.setdefault((row.need.category, row.need.urgency), [0, 0])
        tally[0] += 1
        tally[1] += row.need.people
    return [NeedsServed(category, urgency, needs, people)
            for (category, urgency), (needs, people) in sorted(counts.items())]
