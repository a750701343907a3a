"""Running a console form's write: one transaction, committed or rolled back whole.

A domain error comes back to the view (to show beside the field it names) instead of
being raised, and the transaction is rolled back, so bad input never leaves half a
record behind — the same guarantee the API gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from fundpool.api.requests import db_session
from fundpool.errors import FundpoolError

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
