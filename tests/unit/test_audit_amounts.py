"""Amounts in audit events' details are found, with their currency, wherever the core's
``record(...)`` calls put them; nothing else is taken for money."""

from fundpool.audit.amounts import Amount, with_amounts


def test_an_amount_is_in_the_events_own_currency_or_the_one_given():
    assert with_amounts({"amount": 10000, "currency": "HKD", "source": "A"}) == {
        "amount": Amount(10000, "HKD"), "currency": "HKD", "source": "A"}
    assert with_amounts({"amount": 10000, "entry_id": 7}, "USD") == {
        "amount": Amount(10000, "USD"), "entry_id": 7}
    assert with_amounts({"amount": 10000}) == {"amount": Amount(10000, "CNY")}


def test_a_holds_legs_are_in_their_accounts_currency():
    legs = [["ELDER-440304001:3101:HKD", "ELDER-440304001:2203:HKD", 500]]
    assert with_amounts({"kind": "manual", "legs": legs})["legs"] == [
        ["ELDER-440304001:3101:HKD", "ELDER-440304001:2203:HKD", Amount(500, "HKD")]]


def test_year_end_totals_are_per_currency_and_a_proposals_budget_before_and_after():
    totals = {"CNY": {"expenses": 1, "income_restricted": 2}, "USD": {"expenses": 3}}
    assert with_amounts({"entries": 4, "totals": totals}) == {"entries": 4, "totals": {
        "CNY": {"expenses": Amount(1, "CNY"), "income_restricted": Amount(2, "CNY")},
        "USD": {"expenses": Amount(3, "USD")}}}
    changed = with_amounts({"before": {"budget": 100, "capacity": 10}, "after": {"budget": 200}})
    assert changed == {"before": {"budget": Amount(100, "CNY"), "capacity": 10},
                       "after": {"budget": Amount(200, "CNY")}}


def test_counts_ids_and_flags_are_not_money():
    details = {"entry_id": 5, "people": 6, "minutes": 15, "amount": True, "budget": "1.00",
               "rows": 3}
    assert with_amounts(details) == details


def test_a_funds_per_grant_limit_before_a_restriction_changed_is_money():
    """fund.restrict keeps the restriction it replaced, its per-grant limit in fen (CNY, the
    currency grants are made in); None when the fund had none."""
    before = {"categories": ["elderly"], "per_grant_limit": 500000, "valid_to": "None"}
    assert with_amounts({"before": before})["before"]["per_grant_limit"] == Amount(500000, "CNY")
    assert with_amounts({"before": {"per_grant_limit": None}}) == {
        "before": {"per_grant_limit": None}}
