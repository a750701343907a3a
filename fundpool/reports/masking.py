"""How a donor is named in public (慈善信息公开): masked for a person, in full for an organisation.

- An **individual** keeps the first character of the name and every other character becomes
  ``*``: 张三 → 张*, 欧阳娜娜 → 欧***. A Latin-script name keeps each word's initial:
  John Smith → J*** S****. A name that does not begin with a letter (a number, say) is all
  stars.
- An **organisation** (enterprise, foundation, government, platform) is named in full, as
  a charity's disclosure lists its corporate and institutional donors.
- An **anonymous** donor, or one without a name, is 匿名 (``Anonymous`` in English),
  whatever its kind.

Only the name ever leaves: never contact data or identity numbers, which the public
reports do not even read.
"""

from __future__ import annotations

ORGANISATION_KINDS = ("enterprise", "foundation", "government", "platform")
ANONYMOUS = {"zh-CN": "匿名", "en": "Anonymous"}
_SEPARATORS = " ·•.\u3000-"


def public_name(kind: str, name: str | None, anonymous: bool, lang: str = "zh-CN") -> str:
    """The donor's name as the public sees it."""
    name = (name or "").strip()
    if anonymous or not name:
        return ANONYMOUS.get(lang, ANONYMOUS["zh-CN"])
    if kind in ORGANISATION_KINDS:
        return name
    return mask_person(name)


def mask_person(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***, John Smith → J*** S****."""
    name = name.strip()
    if not name:
        return "*"
    if not name[0].isalpha():
        return "*" * max(1, sum(1 for c in name if c not in _SEPARATORS))
    if _is_latin(name):
        return " ".join(word[0] + "*" * (len(word) - 1) if word[0].isalpha() else "*" * len(word)
                        for word in name.split())
    return name[0] + "*" * max(1, sum(1 for c in name[1:] if c not in _SEPARATORS))


def _is_latin(name: str) -> bool:
    """No CJK character (those begin at U+2E80)."""
    return not any(c.isalpha() and ord(c) >= 0x2E80 for c in name)
