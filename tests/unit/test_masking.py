"""Donor names in public: a person masked, an organisation in full, the anonymous as such."""

import pytest

from fundpool.reports.masking import mask_person, public_name


@pytest.mark.parametrize("name, shown", [
    ("张三", "张*"), ("欧阳娜娜", "欧***"), ("张", "张*"), (" 李四 ", "李*"),
    ("阿依古丽·买买提", "阿******"), ("John Smith", "J*** S****"), ("José García", "J*** G*****"),
    ("13800138000", "***********"),
])
def test_a_persons_name_keeps_only_its_first_letter(name, shown):
    assert mask_person(name) == shown


@pytest.mark.parametrize("kind", ["enterprise", "foundation", "government", "platform"])
def test_an_organisation_is_named_in_full(kind):
    assert public_name(kind, "平安银行深圳分行", anonymous=False) == "平安银行深圳分行"


@pytest.mark.parametrize("kind, name", [("individual", "王五"), ("enterprise", "某公司"),
                                        ("individual", ""), ("individual", None)])
def test_the_anonymous_are_anonymous_in_either_language(kind, name):
    assert public_name(kind, name, anonymous=bool(name)) == "匿名"
    assert public_name(kind, name, anonymous=bool(name), lang="en") == "Anonymous"


def test_a_person_is_masked_in_english_too():
    assert public_name("individual", "张三", anonymous=False, lang="en") == "张*"
