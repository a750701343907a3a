"""Running a console form's write: one transaction, committed or rolled back whole.

A domain error comes back to the view (to show beside the field it names) instead of
being raised, and the transaction is rolled back, so bad input never leaves half a
record behind — the same guarantee the API gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from fundpool.api.json_bodies import UNSTORABLE
from fundpool.api.requests import db_session
from fundpool.errors import FundpoolError, InvalidInput

T = TypeVar("T")


def write(work: Callable[[Session], T]) -> tuple[T | None, FundpoolError | None]:
    session = db_session()
    try:
        result = work(session)
        session.commit()
    except FundpoolError as error:
        session.rollback()
        return None, error
    return result, None


def refuse_unstorable(values: MultiDict) -> None:
    """Refuse a form or query value no text column can store, naming it (422), before any
    view runs: the database would refuse it only mid-write, as an error nobody can read."""
    for name, value in values.items(multi=True):
        if UNSTORABLE.search(name):
            raise InvalidInput("a field name contains a NUL character or an unpaired "
                               "surrogate")
        if UNSTORABLE.search(value):
            raise InvalidInput(f"{name} contains a NUL character or an unpaired surrogate, "
                               "which cannot be stored as text", name)
