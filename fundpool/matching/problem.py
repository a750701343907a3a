"""Input and output values of the matching engine: frozen dataclasses over plain values.

Money is in integer fen (分) throughout. Pool codes are the statistical division codes of
DOMAIN.md; a *path* is the tuple of codes from the city down to a pool, e.g.
``("440300", "440304", "440304001", "440304001001")`` for a community, so the engine never
needs a pool table: "pool A lies in the subtree of pool B" is "B's code is in A's path".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

URGENCIES = ("crisis", "priority", "routine")  # the three-level response scale (三级响应), most urgent first
LEVELS = ("city", "district", "street", "community")  # index = len(path) - 1


@dataclass(frozen=True, slots=True)
class Need:
    """A surveyed need (需求): ``people`` in one community, one beneficiary category."""
    id: int
    pool_path: tuple[str, ...]  # city .. the need's community
    category: str
    people: int
    urgency: str  # one of URGENCIES
    estimated_cost: int  # fen; informative only, the proposal's budget is what is paid
    survey_date: date


@dataclass(frozen=True, slots=True)
class Proposal:
    """A project (项目) in the reserve pool."""
    id: int
    categories: frozenset[str]
    area: frozenset[str]  # pool codes served; a street code serves all its communities
    area_paths: tuple[tuple[str, ...], ...]  # path (city .. pool) of each code in ``area``
    budget: int  # fen, paid in full or not at all
    capacity: int  # people
    submitted_on: date


@dataclass(frozen=True, slots=True)
class Fund:
    """A fund that may pay for proposals, with what it has available now."""
    id: int
    code: str
    pool_path: tuple[str, ...]  # the fund's pool: len 1 city, 2 district, 3 street, 4 community
    available: int  # fen
    categories: frozenset[str]  # empty: any category
    area: frozenset[str]  # empty: the fund's pool subtree; else these pools' subtrees
    valid_from: date | None
    valid_to: date | None
    per_grant_limit: int | None  # fen per proposal, None: no limit

    @property
    def level(self) -> str:
        return LEVELS[len(self.pool_path) - 1]


@dataclass(frozen=True, slots=True)
class Problem:
    needs: tuple[Need, ...]
    proposals: tuple[Proposal, ...]
    funds: tuple[Fund, ...]
    on: date  # the day the grants would be made: fund validity is checked against it
    time_limit: float = 50.0  # seconds for the whole solve


@dataclass(frozen=True, slots=True)
class Reason:
    """A structured reason: a code and its parameters; ``reasons.render`` turns it into text."""
    code: str
    params: tuple[tuple[str, str | int], ...] = ()

    def param(self, name: str, default=None):
        for key, value in self.params:
            if key == name:
                return value
        return default


@dataclass(frozen=True, slots=True)
class Share:
    fund_id: int
    amount: int  # fen
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Match:
    proposal_id: int
    need_ids: tuple[int, ...]  # ascending
    shares: tuple[Share, ...]  # sum exactly to the proposal's budget; most local fund first
    people: int
    reasons: tuple[Reason, ...]  # proposal level: people by urgency, capacity, cost per person
    need_reasons: tuple[tuple[int, tuple[Reason, ...]], ...]  # per need: category, area, urgency, age


@dataclass(frozen=True, slots=True)
class Solution:
    matches: tuple[Match, ...]  # by proposal id
    objective: float  # urgency-weighted people served (see docs/matching.md)
    bound: float  # an upper bound on ``objective`` of the lexicographic optimum
    gap: float  # the largest relative gap of the three urgency stages; objective >= (1 - gap) * bound
    method: str  # "exact" | "heuristic"
    optimal: bool  # the primary objective proven optimal and the secondary one to its tolerance
    seconds: float
    stats: dict = field(default_factory=dict, compare=False, hash=False)
