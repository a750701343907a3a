"""What one client thread does: a bank's day of operations against the API, each tagged so
the checks can find it in the database afterwards, and each remembered with what the
client learnt of it (acknowledged, refused, or never answered).

Money of 福田区 (440304) only moves inside its subtree — donations to the district's and its
streets' general funds, allocations between the district and its streets, holds and
commits from a street's bank to its costs, refunds — so every balance read of the
district's rollup must balance by itself, and its income can only be what donations and
refunds made it. Manual adjustments and their reversals happen in 罗湖区 (440303).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from tests.reliability.client import Answer, Api

DISTRICT = "440304"
OTHER_DISTRICT = "440303"
COMMUNITIES = ["440304001001", "440304001002", "440304001003"]


def today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def fen(text: str) -> int:
    whole, _, part = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int((part + "00")[:2]))


@dataclass
class Op:
    """One logical operation: its kind, its tag in the database, and the final answer."""

    kind: str
    tag: str
    answer: Answer
    detail: dict = field(default_factory=dict)


@dataclass
class Read:
    """A balance read of the district's rollup: when it was in flight and what it showed."""

    began: float
    ended: float
    income: int  # 4101 income of the subtree, CNY
    imbalance: int  # debit-normal minus credit-normal balances, CNY (0 if consistent)


class Worker:
    """One client thread. Its records are its own (no locking); merged after the run."""

    WEIGHTS: ClassVar[dict[str, float]] = {"donate": 30, "read": 15, "allocate": 12, "hold": 8, "resolve": 8,
               "refund": 6, "adjust": 5, "reverse": 4, "need": 1.5, "match": 1.5}
    MATCHER: ClassVar[dict[str, float]] = {"need": 2, "match": 2, "read": 1}  # client 0

    def __init__(self, number: int, api: Api, reader: Api, streets: list[str], donors: list[int],
                 seed: int) -> None:
        self.number = number
        self.api = api
        self.reader = reader
        self.streets = streets
        self.donors = donors
        self.rng = random.Random(seed)
        self.ops: list[Op] = []
        self.reads: list[Read] = []
        self.problems: list[str] = []
        self.donations: list[dict] = []  # acknowledged ones, with what is left to refund
        self.holds: list[int] = []  # pending holds this client made
        self.adjustments: list[int] = []  # entries this client may still reverse

    def run(self, stop: threading.Event) -> None:
        kinds, weights = zip(*(self.MATCHER if self.number == 0 else self.WEIGHTS).items())
        while not stop.is_set():
            getattr(self, self.rng.choices(kinds, weights)[0])()

    def _tag(self) -> str:
        return f"REL{self.number:02d}-{uuid.uuid4().hex[:12]}"

    def _record(self, kind: str, tag: str, answer: Answer, **detail) -> Op:
        op = Op(kind, tag, answer, detail)
        self.ops.append(op)
        return op

    def _fund(self) -> str:
        return self.rng.choice([DISTRICT, *self.streets])

    def donate(self) -> None:
        if self.donations and self.rng.random() < 0.06:
            return self._duplicate_reference()
        tag, amount, fund = self._tag(), self.rng.randint(1_00, 500_00), self._fund()
        body = {"donor_id": self.rng.choice(self.donors), "fund": fund, "amount": yuan(amount),
                "channel": "bank_transfer", "channel_ref": tag, "received_date": today(),
                "purpose": "可靠性测试 giving day", "issue_receipt": True}
        key = uuid.uuid4().hex
        answer = self.api.post("donation", "/donations", body, key)
        self._record("donation", tag, answer, amount=amount, fund=fund)
        if not answer.ok:
            return
        if answer.body.get("amount") != yuan(amount) or answer.body.get("channel_ref") != tag:
            self.problems.append(f"donation {tag} acknowledged with another body: {answer.body}")
        self.donations.append({"id": answer.body["id"], "left": amount, "tag": tag})
        if self.rng.random() < 0.15:
            again = self.api.post("donation_replay", "/donations", body, key)
            if (again.status, again.body.get("id")) != (answer.status, answer.body["id"]):
                self.problems.append(f"donation {tag} retried with its key answered "
                                     f"{again.status} {again.body} instead of the first answer")

    def _duplicate_reference(self) -> None:
        first = self.rng.choice(self.donations)
        body = {"donor_id": self.donors[0], "fund": DISTRICT, "amount": "1.00",
                "channel": "bank_transfer", "channel_ref": first["tag"], "received_date": today()}
        answer = self.api.post("duplicate_reference", "/donations", body)
        self._record("duplicate_reference", first["tag"], answer)
        if answer.status is not None and answer.status != 409:
            self.problems.append(f"a second donation with channel_ref {first['tag']} answered "
                                 f"{answer.status}, not 409: {answer.body}")

    def refund(self) -> None:
        open_ = [d for d in self.donations if d["left"] > 0]
        if not open_:
            return
        donation = self.rng.choice(open_)
        tag = self._tag()
        amount = self.rng.randint(1, donation["left"])
        answer = self.api.post("refund", f"/donations/{donation['id']}/refund",
                               {"amount": yuan(amount), "reason": f"退款 {tag}"})
        self._record("refund", tag, answer, amount=amount, donation=donation["id"])
        if answer.ok:
            donation["left"] -= amount
        elif not answer.refused:
            donation["left"] = 0  # outcome unknown: never refund it again

    def allocate(self) -> None:
        street, tag = self.rng.choice(self.streets), self._tag()
        source, target = (DISTRICT, street) if self.rng.random() < 0.6 else (street, DISTRICT)
        amount = self.rng.randint(1_00, 2_000_00)
        answer = self.api.post("allocation", "/allocations", {
            "source_fund": source, "target_fund": target, "amount": yuan(amount), "memo": tag})
        self._record("allocation", tag, answer, amount=amount)

    def hold(self) -> None:
        street, tag = self.rng.choice(self.streets), self._tag()
        body = {"memo": tag, "legs": [{
            "account": f"{street}:1002:CNY", "counter_account": f"{street}:5101:CNY",
            "amount": yuan(self.rng.randint(1_00, 300_00))}]}
        if self.rng.random() < 0.3:
            soon = datetime.now(UTC) + timedelta(seconds=self.rng.uniform(1, 4))
            body["expires_at"] = soon.isoformat()
        answer = self.api.post("hold", "/holds", body)
        self._record("hold", tag, answer)
        if answer.ok:
            self.holds.append(answer.body["id"])

    def resolve(self) -> None:
        if not self.holds:
            return
        hold_id = self.holds.pop(self.rng.randrange(len(self.holds)))
        if self.rng.random() < 0.6:
            tag = self._tag()
            body = {"memo": tag}
            if self.rng.random() < 0.3:
                body["amounts"] = ["1.00"]
            answer = self.api.post("commit", f"/holds/{hold_id}/commit", body)
            self._record("commit", tag, answer, hold=hold_id)
        else:
            answer = self.api.post("void", f"/holds/{hold_id}/void")
            self._record("void", str(hold_id), answer, hold=hold_id)

    def adjust(self) -> None:
        tag, amount = self._tag(), yuan(self.rng.randint(1_00, 100_00))
        answer = self.api.post("adjustment", "/entries", {"memo": tag, "postings": [
            {"account": f"{OTHER_DISTRICT}:1002:CNY", "side": "debit", "amount": amount},
            {"account": f"{OTHER_DISTRICT}:410101:CNY", "side": "credit", "amount": amount}]})
        self._record("adjustment", tag, answer)
        if answer.ok:
            self.adjustments.append(answer.body["id"])

    def reverse(self) -> None:
        if not self.adjustments:
            return
        entry = self.adjustments.pop(self.rng.randrange(len(self.adjustments)))
        tag = self._tag()
        answer = self.api.post("reversal", f"/entries/{entry}/reverse", {"memo": tag})
        self._record("reversal", tag, answer, entry=entry)

    def need(self) -> None:
        """A surveyed need and a project for it, accepted into the reserve, so matching
        runs keep finding work."""
        tag, community = self._tag(), self.rng.choice(COMMUNITIES)
        made = self.api.post("need", "/needs", {
            "pool_code": community, "category": "elderly_in_difficulty",
            "people": self.rng.randint(1, 5), "urgency": "priority",
            "estimated_cost": yuan(self.rng.randint(50_00, 200_00)), "survey_date": today(),
            "note": tag, "survey_ref": tag})
        self._record("need", tag, made)
        proposal = self.api.post("proposal", "/proposals", {
            "organisation": "福田区长者服务社", "title": tag,
            "categories": ["elderly_in_difficulty"], "area_codes": [community],
            "budget": yuan(self.rng.randint(50_00, 300_00)), "capacity": 10,
            "duration_days": 60})
        self._record("proposal", tag, proposal)
        if proposal.ok:
            pid = proposal.body["id"]
            self._record("proposal_step", tag, self.api.post(
                "proposal_step", f"/proposals/{pid}/submit"))
            self._record("proposal_step", tag, self.api.post(
                "proposal_step", f"/proposals/{pid}/review", {"decision": "accept"}))

    def match(self) -> None:
        run = self.api.post("matching_run", "/matching/runs")
        self._record("matching_run", "", run)
        if not run.ok:
            return
        page = self.api.get("matches_read", f"/matching/runs/{run.body['id']}/matches?limit=200")
        proposed = [m for m in page.body.get("items", []) if m.get("status") == "proposed"] \
            if page.ok else []
        if proposed:
            match = self.rng.choice(proposed)
            answer = self.api.post("approval", f"/matching/matches/{match['id']}/approve")
            self._record("approval", str(match["id"]), answer, match=match["id"])

    def read(self) -> None:
        began = time.monotonic()
        answer = self.reader.get("balance_read", f"/reports/balances?pool={DISTRICT}&subtree=true")
        ended = time.monotonic()
        self._record("balance_read", "", answer)
        if not answer.ok:
            return
        income = imbalance = 0
        for line in answer.body["balances"]:
            if line["currency"] != "CNY":
                continue
            amount = fen(line["balance"])
            imbalance += amount if line["type"] in ("asset", "expense") else -amount
            if line["chart_code"].startswith("4101"):
                income += amount
        self.reads.append(Read(began, ended, income, imbalance))
