"""Reasons: structured codes with parameters, rendered in Chinese and English."""

import pytest

from fundpool.funds.models import CATEGORIES, CATEGORY_NAMES_ZH
from fundpool.matching.engine import match
from fundpool.matching.problem import Reason
from fundpool.matching.reasons import CATEGORY_NAMES, TEMPLATES, render
from tests.unit.test_matching_helpers import FUTIAN, fund, need, problem, proposal


def test_category_renders_in_both_languages():
    r = Reason("category_match", (("category", "elderly_in_difficulty"),))
    assert render(r, "zh-CN") == "服务类别一致：特殊困难老人"
    assert render(r, "en") == "Category matches: elderly with special difficulties"


def test_every_category_of_the_codebase_has_both_names():
    assert tuple(CATEGORY_NAMES) == CATEGORIES
    assert {c: zh for c, (zh, _) in CATEGORY_NAMES.items()} == CATEGORY_NAMES_ZH


def test_money_and_levels():
    assert render(Reason("cost_per_person", (("amount", 123_456), ("people", 8))), "zh-CN") == "人均成本 ¥1,234.56（8 人）"
    assert render(Reason("cost_per_person", (("amount", 5), ("people", 1))), "en") == "Cost per person: CNY 0.05 (1 people)"
    assert "街道" in render(Reason("local_first", (("level", "street"),)), "zh-CN")
    assert render(Reason("urgency", (("level", "crisis"),)), "en").startswith("Crisis need")
    assert render(Reason("urgency", (("level", "crisis"),)), "zh-CN").startswith("危机需求")


def test_unknown_codes_still_render():
    assert render(Reason("something_new", (("x", 1),)), "en") == "something_new(x=1)"


def test_every_reason_the_engine_gives_renders_in_both_languages():
    s = match(problem([need(1, urgency="crisis"), need(2, people=3)], [proposal(1, budget=1000)],
                      [fund(1, available=600), fund(2, path=FUTIAN, available=500, categories=("elderly_in_difficulty",),
                                                    limit=500)]))
    m = s.matches[0]
    reasons = list(m.reasons) + [r for _, rs in m.need_reasons for r in rs] + [r for sh in m.shares for r in sh.reasons]
    codes = {r.code for r in reasons}
    assert {"category_match", "area_match", "urgency", "waiting", "people_served", "cost_per_person",
            "co_funded", "local_first", "fund_allows", "per_grant_limit"} <= codes
    for r in reasons:
        assert r.code in TEMPLATES
        zh, en = render(r, "zh-CN"), render(r, "en")
        assert zh != en and "{" not in zh + en and "(" not in zh[:1]
        assert all(isinstance(v, (str, int)) for _, v in r.params)


@pytest.mark.parametrize("locale", ["zh", "zh-CN", "zh_Hans"])
def test_chinese_locales(locale):
    assert render(Reason("co_funded", (("funds", 3),)), locale) == "3 个基金联合资助"
