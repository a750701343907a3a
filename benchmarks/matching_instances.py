"""Realistic matching instances on Shenzhen's real hierarchy, for ``matching_bench.py`` and tests.

The city, its 9 districts and 79 streets come from ``fundpool/data/shenzhen-divisions.csv``
(NBS codes, 2023). The data set has no communities, so each street gets 7-10 illustrative ones
(street code + ``001``.., residents' committees), about 670 in all.

Skews, as door-to-door surveys show them:
- needs: a few streets hold most of them (street weights log-normal, sigma 1.2), elderly with
  special difficulties and persons with disabilities are the commonest categories; urgency is
  3 % crisis, 17 % priority, 80 % routine; households of 1-3 people mostly, some groups of up to 40;
- proposals: go where the needs are (street weight ^ 0.6); 55 % serve one whole street, 30 % one
  to three communities, 15 % two or three streets of one district; one to three categories;
  capacity 15-250 people; budget 800-3,000 yuan a head of capacity, in odd fen;
- funds: about 2 % city, 8 % district, 25 % street, the rest community funds (one per
  community while they last); together they hold ``money_ratio`` (default 0.55) of all budgets,
  35 % of it at the city, 25 % district, 25 % street, 15 % community; a share of the funds is
  restricted to categories (special funds) or to part of the pool's area (named funds), carries a
  per-grant limit, or is valid only for dates that may exclude the run's day.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from fundpool.matching.problem import Fund, Need, Problem, Proposal

DIVISIONS = Path(__file__).resolve().parents[1] / "fundpool" / "data" / "shenzhen-divisions.csv"
CATEGORIES = ("minimum_living_allowance", "extreme_poverty", "disability", "children_in_difficulty",
              "left_behind_children", "elderly_in_difficulty", "left_behind_women",
              "single_mothers", "general_residents")
CATEGORY_WEIGHTS = np.array([0.12, 0.05, 0.20, 0.08, 0.05, 0.30, 0.03, 0.04, 0.13])
URGENCY_WEIGHTS = (("crisis", 0.03), ("priority", 0.17), ("routine", 0.80))
ON = date(2026, 12, 1)


def hierarchy(path: Path = DIVISIONS, seed: int = 7):
    """(city, {district: [streets]}, {street: [communities]}) with illustrative communities."""
    rng = np.random.default_rng(seed)
    city, districts, streets = None, {}, {}
    with open(path, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["level"] == "city":
                city = row["code"]
            elif row["level"] == "district":
                districts.setdefault(row["code"], [])
            elif row["level"] == "street":
                districts.setdefault(row["parent_code"], []).append(row["code"])
    for d in sorted(districts):
        for s in sorted(districts[d]):
            streets[s] = [f"{s}{i:03d}" for i in range(1, int(rng.integers(7, 11)) + 1)]
    return city, {d: sorted(v) for d, v in sorted(districts.items())}, streets


def generate(proposals: int, needs: int | None = None, funds: int = 1000, *, seed: int = 1,
             money_ratio: float = 0.55, time_limit: float = 50.0, path: Path = DIVISIONS) -> Problem:
    rng = np.random.default_rng(seed)
    needs = 10 * proposals if needs is None else needs
    city, districts, streets = hierarchy(path)
    district_of = {s: d for d, ss in districts.items() for s in ss}
    street_list = sorted(streets)
    street_w = rng.lognormal(0.0, 1.2, len(street_list))
    street_w /= street_w.sum()
    path_of = {city: (city,)}
    for d in districts:
        path_of[d] = (city, d)
    for s in street_list:
        path_of[s] = (city, district_of[s], s)
        for c in streets[s]:
            path_of[c] = (city, district_of[s], s, c)
    community_w = {s: rng.lognormal(0.0, 0.7, len(streets[s])) for s in street_list}

    # needs
    st = rng.choice(len(street_list), size=needs, p=street_w)
    cat = rng.choice(len(CATEGORIES), size=needs, p=CATEGORY_WEIGHTS / CATEGORY_WEIGHTS.sum())
    urg = rng.choice(3, size=needs, p=[w for _, w in URGENCY_WEIGHTS])
    size_kind = rng.random(needs)
    people = np.where(size_kind < 0.65, rng.integers(1, 4, needs),
                      np.where(size_kind < 0.93, rng.integers(4, 11, needs), rng.integers(11, 41, needs)))
    age = rng.integers(0, 730, needs)
    need_rows = []
    for i in range(needs):
        s = street_list[st[i]]
        w = community_w[s]
        c = streets[s][int(rng.choice(len(w), p=w / w.sum()))]
        per_head = int(rng.integers(50_000, 500_000))  # 500-5,000 yuan in fen
        need_rows.append(Need(id=1 + i, pool_path=path_of[c],
                              category=CATEGORIES[cat[i]], people=int(people[i]),
                              urgency=URGENCY_WEIGHTS[urg[i]][0], estimated_cost=per_head * int(people[i]),
                              survey_date=ON - timedelta(days=int(age[i]))))

    # proposals
    pw = street_w ** 0.6
    pw /= pw.sum()
    prop_rows = []
    for j in range(proposals):
        s = street_list[int(rng.choice(len(street_list), p=pw))]
        kind = rng.random()
        if kind < 0.55:
            area = [s]
        elif kind < 0.85:
            k = int(rng.integers(1, 4))
            area = sorted(rng.choice(streets[s], size=min(k, len(streets[s])), replace=False).tolist())
        else:
            sibling = districts[district_of[s]]
            k = min(int(rng.integers(2, 4)), len(sibling))
            area = sorted(set([s] + rng.choice(sibling, size=k, replace=False).tolist()))
        ncat = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        cats = frozenset(CATEGORIES[k] for k in rng.choice(len(CATEGORIES), size=ncat, replace=False,
                                                             p=CATEGORY_WEIGHTS / CATEGORY_WEIGHTS.sum()))
        capacity = int(np.clip(rng.lognormal(np.log(60), 0.6), 15, 250))
        budget = capacity * int(rng.integers(80_000, 300_000)) + int(rng.integers(0, 100))
        prop_rows.append(Proposal(id=1 + j, categories=cats, area=frozenset(area),
                                  area_paths=tuple(path_of[a] for a in area), budget=budget,
                                  capacity=capacity, submitted_on=ON - timedelta(days=int(rng.integers(0, 365)))))

    # funds
    total = sum(p.budget for p in prop_rows) * money_ratio
    n_city = max(1, round(funds * 0.02))
    n_district = max(1, round(funds * 0.08))
    n_street = max(1, round(funds * 0.25))
    n_comm = max(0, funds - n_city - n_district - n_street)
    communities = [c for s in street_list for c in streets[s]]
    fund_rows = []

    def add(pool: str, share: float, count: int, level: str, general_first: bool = True):
        weights = rng.lognormal(0.0, 0.8, count)
        weights /= weights.sum() if count > 1 else 1.0
        for k in range(count):
            restrictable = k > 0 or not general_first
            fid = len(fund_rows) + 1
            available = int(total * share * weights[k])
            categories: frozenset[str] = frozenset()
            area: frozenset[str] = frozenset()
            limit = valid_from = valid_to = None
            r = rng.random()
            if r < 0.25 and restrictable:  # special fund (专项基金): one purpose
                pick = rng.choice(len(CATEGORIES), size=int(rng.integers(1, 4)), replace=False,
                                  p=CATEGORY_WEIGHTS / CATEGORY_WEIGHTS.sum())
                categories = frozenset(CATEGORIES[i] for i in pick)
            elif r < 0.35 and restrictable and level in ("city", "district"):  # named fund: part of the area
                below = sorted(districts) if level == "city" else districts[pool]
                area = frozenset(rng.choice(below, size=min(len(below), int(rng.integers(1, 4))),
                                            replace=False).tolist())
            if rng.random() < 0.15:
                limit = int(rng.integers(5_000_000, 30_000_000))
            v = rng.random()
            if v < 0.05:
                valid_to = ON - timedelta(days=int(rng.integers(1, 100)))  # expired
            elif v < 0.08:
                valid_from = ON + timedelta(days=int(rng.integers(1, 100)))  # not yet
            elif v < 0.25:
                valid_from = ON - timedelta(days=200)
                valid_to = ON + timedelta(days=int(rng.integers(0, 300)))
            fund_rows.append(Fund(id=fid, code=f"F{pool}-{k + 1:03d}", pool_path=path_of[pool],
                                  available=available, categories=categories, area=area,
                                  valid_from=valid_from, valid_to=valid_to, per_grant_limit=limit))

    add(city, 0.35, n_city, "city")
    dlist = sorted(districts)
    for k, d in enumerate(dlist):
        cnt = n_district // len(dlist) + (1 if k < n_district % len(dlist) else 0)
        if cnt:
            add(d, 0.25 / len(dlist), cnt, "district")
    for k in range(n_street):
        s = street_list[k % len(street_list)]
        add(s, 0.25 * street_w[street_list.index(s)] / max(1, n_street // len(street_list)), 1, "street",
            general_first=k < len(street_list))
    for k in range(n_comm):
        c = communities[k % len(communities)]
        add(c, 0.15 / max(n_comm, 1), 1, "community", general_first=False)
    return Problem(needs=tuple(need_rows), proposals=tuple(prop_rows), funds=tuple(fund_rows), on=ON,
                   time_limit=time_limit)
