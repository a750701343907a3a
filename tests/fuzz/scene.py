"""The data the fuzzer starts from: a small city with money moving through it.

Every kind of thing the API names by id or code exists at least once, in a state that lets
its operations do real work (a pending hold to commit, a draft proposal to submit, a
pending match to approve, a closed month to reopen, …), so generated requests reach the
code behind the 404s. ``Scene.known`` lists those ids and codes by the name the API gives
them; ``KNOWN`` holds the same for the fuzz test's hooks, which mix them into generated
requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from fundpool.ledger.posting import today
from fundpool.matching.run_models import RunMatch
from tests import trail_story
from tests.factories import City, Factory, bank, cost, income
from tests.trail_story import BINHE, STREET

ELDER = "ELDER-440304001"
NANHUA = "440304001002"
POOLS = ("440300", "440303", "440304", STREET, "440304002", BINHE, NANHUA)
CLOSED_MONTH = "2020-01"
KNOWN: dict[str, list] = {}  # the current scene's values, read while examples are drawn


@dataclass
class Scene:
    city: City
    known: dict[str, list] = field(default_factory=dict)


def build(db, client) -> Scene:
    """Seed the database behind ``client``; returns the tokens and the known ids."""
    make = Factory(db)
    city = make.small_city()
    make.token("foundation", name="备用基金会")
    make.token("admin", STREET, "备用")
    story = trail_story.build(db)
    admin, city_admin = city.headers("street_admin"), city.headers("city_admin")

    def post(path, headers=admin, status=201, **body):
        response = client.post(f"/api/v1{path}", headers=headers, json=body)
        assert response.status_code == status, (path, response.get_json())
        return response.get_json()

    post("/funds", code=ELDER, name="南园街道助老专项基金", kind="special", pool_code=STREET,
         restricted=True, restriction={"categories": ["elderly_in_difficulty"]})
    post(f"/pools/{STREET}/receipt-books", code="44030001", first_number="0000000101",
         last_number="0000000200")
    donor = post("/donors", kind="individual", name="张三", id_number="440304199001011234")
    gift = post("/donations", donor_id=donor["id"], fund=ELDER, amount="1000.00",
                channel="bank_transfer", channel_ref="BOC-FUZZ-1",
                received_date=today().isoformat(), purpose="重阳节助老")
    tokens = client.get("/api/v1/tokens?limit=500", headers=city_admin).get_json()["items"]
    foundation = next(t["id"] for t in tokens if t["name"] == "foundation None")
    for fund in (STREET, ELDER):
        post(f"/funds/{fund}/grants", token_id=foundation)
    hold = post("/holds", memo="待付款", legs=[
        {"account": bank(STREET), "counter_account": cost(STREET), "amount": "10.00"}])
    post("/needs", pool_code=NANHUA, category="elderly_in_difficulty", people=3,
         urgency="priority", estimated_cost="300.00", survey_date=today().isoformat())
    draft = post("/proposals", organisation="南华社区服务社", title="南华长者助餐",
                 categories=["elderly_in_difficulty"], area_codes=[NANHUA], budget="300.00",
                 capacity=3, duration_days=30)
    submitted = post("/proposals", organisation="南华社区服务社", title="南华助浴",
                     categories=["elderly_in_difficulty"], area_codes=[NANHUA], budget="300.00",
                     capacity=3, duration_days=30)
    post(f"/proposals/{submitted['id']}/submit", status=200)
    accepted = post("/proposals", organisation="南华社区服务社", title="南华上门探访",
                    categories=["elderly_in_difficulty"], area_codes=[NANHUA], budget="300.00",
                    capacity=3, duration_days=30)
    post(f"/proposals/{accepted['id']}/submit", status=200)
    post(f"/proposals/{accepted['id']}/review", headers=city_admin, status=200,
         decision="accept")
    run = post("/matching/runs", headers=city_admin)
    post(f"/periods/{CLOSED_MONTH}/close", headers=city_admin, status=200)
    with db.sessions() as session:
        matches = session.scalars(select(RunMatch.id).order_by(RunMatch.id)).all()
    spare_ids = [t["id"] for t in client.get("/api/v1/tokens?limit=500", headers=city_admin)
                 .get_json()["items"] if t["name"] in ("备用基金会", "备用")]
    year = today().year
    funds = [STREET, ELDER, BINHE, "440304", "440300"]
    KNOWN.clear()
    KNOWN.update({
        "pool": list(POOLS), "fund": funds, "account": [bank(STREET), income(STREET),
                                                        cost(STREET), bank(BINHE)],
        "donation_id": [*story.gifts.values(), gift["id"]],
        "donor_id": [donor["id"]],
        "proposal_id": [story.proposal_id, draft["id"], submitted["id"], accepted["id"]],
        "need_id": [1, 2, 3],
        "match_id": list(matches),
        "run_id": [run["id"]],
        "entry_id": [*story.instalments, 1],
        "hold_id": [hold["id"]],
        "token_id": spare_ids,
        "job_id": [1],
        "month": [CLOSED_MONTH, today().strftime("%Y-%m")],
        "year": [year, year - 1],
        "quarter": [f"{year}-Q{(today().month - 1) // 3 + 1}"],
        "date": [today().isoformat(), trail_story.day(-30).isoformat()],
        "amount": ["1.00", "100.00"],
        "currency": ["CNY"],
        "categories": [["elderly_in_difficulty"]],
        "area_codes": [[BINHE], [NANHUA]],
    })
    return Scene(city, dict(KNOWN))
