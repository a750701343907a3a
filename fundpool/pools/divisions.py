"""Reading division lists (code, name, level, parent_code) from CSV files.

The package ships Shenzhen's city, districts and streets (NBS 2023 codes,
copied from shared/data) as ``fundpool/data/shenzhen-divisions.csv``.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path
from typing import Iterable, TextIO

from fundpool.errors import InvalidInput
from fundpool.pools.codes import Level
from fundpool.pools.service import NewPool

COLUMNS = ("code", "name", "level", "parent_code")


def shenzhen() -> list[NewPool]:
    with resources.files("fundpool.data").joinpath("shenzhen-divisions.csv").open(
            encoding="utf-8") as handle:
        return read_divisions(handle)


def read_file(path: Path) -> list[NewPool]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return read_divisions(handle)


def read_divisions(handle: TextIO) -> list[NewPool]:
    reader = csv.DictReader(handle)
    missing = set(COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise InvalidInput(f"the file lacks the column(s) {', '.join(sorted(missing))}", "file")
    return list(_rows(reader))


def _rows(reader: Iterable[dict[str, str]]):
    for line, row in enumerate(reader, start=2):
        try:
            level = Level(row["level"].strip())
        except ValueError:
            raise InvalidInput(f"line {line}: level {row['level']!r} is not one of "
                               f"{', '.join(lv.value for lv in Level)}", "level") from None
        yield NewPool(code=row["code"].strip(), name=row["name"].strip(), level=level,
                      parent_code=(row["parent_code"] or "").strip() or None,
                      name_en=(row.get("name_en") or "").strip() or None)
