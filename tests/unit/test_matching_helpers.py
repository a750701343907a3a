"""Small hand-made matching inputs for the matching tests (pure values, no database; no tests here)."""

from datetime import date

from fundpool.matching.problem import Fund, Need, Problem, Proposal

ON = date(2026, 6, 1)
CITY = ("440300",)
FUTIAN = CITY + ("440304",)
NANYUAN = FUTIAN + ("440304001",)
SHATOU = FUTIAN + ("440304002",)
NANSHAN = CITY + ("440305",)
NANTOU = NANSHAN + ("440305001",)


def community(street: tuple, k: int) -> tuple:
    return street + (f"{street[-1]}{k:03d}",)


def need(id, path=None, category="elderly_in_difficulty", people=1, urgency="routine", days=10):
    return Need(id=id, pool_path=path or community(NANYUAN, 1), category=category, people=people,
                urgency=urgency, estimated_cost=1000 * people, survey_date=date.fromordinal(ON.toordinal() - days))


def proposal(id, paths=None, categories=("elderly_in_difficulty",), budget=1000, capacity=10):
    paths = paths or [NANYUAN]
    return Proposal(id=id, categories=frozenset(categories), area=frozenset(p[-1] for p in paths),
                    area_paths=tuple(paths), budget=budget, capacity=capacity, submitted_on=date(2026, 1, 1))


def fund(id, path=CITY, available=10_000, categories=(), area=(), valid_from=None, valid_to=None, limit=None):
    return Fund(id=id, code=f"F{id}", pool_path=path, available=available, categories=frozenset(categories),
                area=frozenset(area), valid_from=valid_from, valid_to=valid_to, per_grant_limit=limit)


def problem(needs, proposals, funds, time_limit=20.0):
    return Problem(needs=tuple(needs), proposals=tuple(proposals), funds=tuple(funds), on=ON, time_limit=time_limit)
