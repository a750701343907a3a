"""Division codes: form per level, placement under the parent, subtree ranges."""

import pytest

from fundpool.errors import InvalidInput
from fundpool.pools.codes import Level, check_code, check_placement, in_subtree, subtree_bounds


@pytest.mark.parametrize("code, level", [
    ("440300", Level.CITY), ("440304", Level.DISTRICT), ("440304001", Level.STREET),
    ("440304001001", Level.COMMUNITY), ("440307400", Level.STREET),
])
def test_well_formed_codes_pass(code, level):
    check_code(code, level)


@pytest.mark.parametrize("code, level, says", [
    ("44030", Level.CITY, "6 digits"),
    ("440304", Level.CITY, "ends in 00"),
    ("440300", Level.DISTRICT, "marks a city"),
    ("44030400", Level.STREET, "9 digits"),
    ("440304000", Level.STREET, "does not end in 000"),
    ("4403040010010", Level.COMMUNITY, "12 digits"),
    ("44030400100a", Level.COMMUNITY, "12 digits"),
    ("４４０３００", Level.CITY, "6 digits"),
])
def test_malformed_codes_name_the_code_field(code, level, says):
    with pytest.raises(InvalidInput, match=says) as caught:
        check_code(code, level)
    assert caught.value.field == "code"


def test_a_level_may_not_skip_one():
    with pytest.raises(InvalidInput, match="parent must be a district") as caught:
        check_placement("440300001", Level.STREET, "440300", Level.CITY)
    assert caught.value.field == "parent_code"


def test_a_child_code_carries_its_parent_prefix():
    check_placement("440304", Level.DISTRICT, "440300", Level.CITY)
    with pytest.raises(InvalidInput, match="must begin with 4403") as caught:
        check_placement("440404", Level.DISTRICT, "440300", Level.CITY)
    assert caught.value.field == "code"
    with pytest.raises(InvalidInput, match="must begin with 440304001"):
        check_placement("440304002001", Level.COMMUNITY, "440304001", Level.STREET)


def test_cities_have_no_parent_and_others_need_one():
    with pytest.raises(InvalidInput, match="has no parent"):
        check_placement("440300", Level.CITY, "440000", Level.CITY)
    with pytest.raises(InvalidInput, match="needs a parent"):
        check_placement("440304", Level.DISTRICT, None, None)


def test_subtree_range_holds_exactly_the_descendants():
    low, high = subtree_bounds("440304001", Level.STREET)
    inside = ["440304001", "440304001001", "440304001299"]
    outside = ["440304", "440304002", "440304002001", "44030400", "440304000999"]
    assert all(low <= code <= high for code in inside)
    assert not any(low <= code <= high for code in outside)
    assert in_subtree("440304001001", "440300", Level.CITY)
    assert not in_subtree("440404", "440300", Level.CITY)
