"""Reason codes with parameters, and their renderings in Chinese (zh-CN) and English (en).

The engine returns ``Reason(code, params)``; whoever shows it calls ``render(reason, locale)``.
Parameters are strings or integers only (money in fen, dates as ISO strings), so a reason can
be stored as JSON and rendered later in either language.

| code | where | parameters |
| --- | --- | --- |
| ``category_match`` | need | ``category`` |
| ``area_match`` | need | ``community`` (the need's pool), ``area`` (the proposal's area code containing it) |
| ``urgency`` | need | ``level``: crisis / priority / routine |
| ``waiting`` | need | ``days``, ``survey_date`` |
| ``people_served`` | proposal | ``people``, ``capacity``, ``crisis``, ``priority``, ``routine`` |
| ``cost_per_person`` | proposal | ``amount`` (fen a person, rounded half up), ``people`` |
| ``co_funded`` | proposal | ``funds`` (how many) |
| ``local_first`` | share | ``level`` of the paying fund: community / street / district / city |
| ``more_local_used_up`` | share | ``level``: every eligible fund more local than this one is used up for this proposal |
| ``no_more_local`` | share | ``level``: no fund more local than this one may pay for this proposal |
| ``fund_allows`` | share | ``categories`` (comma-separated codes, or empty: any), ``area`` (comma-separated codes, or empty: the fund's pool) |
| ``per_grant_limit`` | share | ``limit`` (fen): the share is held at the fund's per-grant limit |
"""

from __future__ import annotations

from .problem import Reason

CATEGORY_NAMES = {
    "minimum_living_allowance": ("低保对象", "minimum-living-allowance households"),
    "extreme_poverty": ("特困人员", "persons in extreme poverty"),
    "disability": ("残疾人", "persons with disabilities"),
    "children_in_difficulty": ("困境儿童", "children in difficulty"),
    "left_behind_children": ("留守儿童", "left-behind children"),
    "elderly_in_difficulty": ("特殊困难老人", "elderly with special difficulties"),
    "left_behind_women": ("留守妇女", "left-behind women"),
    "single_mothers": ("单亲妈妈", "single mothers"),
    "general_residents": ("一般居民", "general residents"),
}
URGENCY_NAMES = {"crisis": ("危机", "crisis"), "priority": ("优先", "priority"), "routine": ("常规", "routine")}
LEVEL_NAMES = {"community": ("社区", "community"), "street": ("街道", "street"),
               "district": ("区", "district"), "city": ("市", "city")}

TEMPLATES = {
    "category_match": ("服务类别一致：{category}", "Category matches: {category}"),
    "area_match": ("在项目服务范围内：{community} 属于 {area}",
                   "Within the proposal's area: {community} lies in {area}"),
    "urgency": ("{level}需求（三级响应）", "{level} need (three-level response)"),
    "waiting": ("已等待 {days} 天（调研日期 {survey_date}）", "Waiting {days} days (surveyed {survey_date})"),
    "people_served": ("服务 {people} 人（容量 {capacity} 人；危机 {crisis}、优先 {priority}、常规 {routine}）",
                      "Serves {people} people (capacity {capacity}; crisis {crisis}, priority {priority}, "
                      "routine {routine})"),
    "cost_per_person": ("人均成本 {amount}（{people} 人）", "Cost per person: {amount} ({people} people)"),
    "co_funded": ("{funds} 个基金联合资助", "Co-funded by {funds} funds"),
    "local_first": ("按本地优先顺序（社区→街道→区→市）使用{level}级基金",
                    "Local money first (community, street, district, city): a {level} fund"),
    "more_local_used_up": ("更本地的可用资金已用尽，由{level}级基金补足",
                           "More local funds that may pay are used up; the {level} fund makes up the rest"),
    "no_more_local": ("没有比{level}级更本地的基金可资助本项目",
                      "No fund more local than the {level} level may pay for this proposal"),
    "fund_allows": ("基金限定允许：类别 {categories}；范围 {area}",
                    "The fund's restriction allows it: categories {categories}; area {area}"),
    "per_grant_limit": ("受单笔资助上限 {limit} 限制", "Held at the fund's per-grant limit of {limit}"),
}


def yuan(fen: int, zh: bool) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    text = f"{fen // 100:,}.{fen % 100:02d}"
    return f"{sign}¥{text}" if zh else f"{sign}CNY {text}"


def _is_zh(locale: str) -> bool:
    return locale.lower().replace("_", "-").startswith("zh")


def _value(code: str, key: str, value, zh: bool) -> str:
    i = 0 if zh else 1
    if key == "category":
        return CATEGORY_NAMES.get(str(value), (str(value), str(value)))[i]
    if key == "categories":
        codes = [c for c in str(value).split(",") if c]
        if not codes:
            return "不限" if zh else "any"
        return ("、" if zh else ", ").join(CATEGORY_NAMES.get(c, (c, c))[i] for c in codes)
    if key == "area" and code == "fund_allows":
        codes = [c for c in str(value).split(",") if c]
        if not codes:
            return "本资金池辖区" if zh else "the fund's pool"
        return ("、" if zh else ", ").join(codes)
    if key == "level" and code == "urgency":
        text = URGENCY_NAMES.get(str(value), (str(value), str(value)))[i]
        return text if zh else text.capitalize()
    if key == "level":
        return LEVEL_NAMES.get(str(value), (str(value), str(value)))[i]
    if key in ("amount", "limit"):
        return yuan(int(value), zh)
    return str(value)


def render(reason: Reason, locale: str) -> str:
    """The reason as a sentence in ``locale`` ("zh-CN" or any "zh*"; anything else: English)."""
    zh = _is_zh(locale)
    params = dict(reason.params)
    template = TEMPLATES.get(reason.code)
    values = {k: _value(reason.code, k, v, zh) for k, v in params.items()}
    if template is None:
        inner = ", ".join(f"{k}={v}" for k, v in reason.params)
        return f"{reason.code}({inner})"
    try:
        return template[0 if zh else 1].format(**values)
    except KeyError:
        inner = ", ".join(f"{k}={v}" for k, v in reason.params)
        return f"{reason.code}({inner})"


def rendered(stored: list[dict], locale: str) -> list[dict]:
    """Reasons as a run stores them (``[{"code": …, "params": {…}}]``) with their ``text`` in
    ``locale``: what the API returns and the console shows."""
    return [{"code": r["code"], "params": r["params"],
             "text": render(Reason(r["code"], tuple(r["params"].items())), locale)}
            for r in stored]
