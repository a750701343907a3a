"""The per-address limit on failed console sign-ins: counted in the database, by window."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from fundpool.auth.sign_in_limit import LIMIT, WINDOW, check_address, note_failure
from fundpool.auth.user_models import SignInAddress
from fundpool.db import utcnow
from fundpool.errors import TooManyRequests

SPRAYER, NEIGHBOUR = "198.51.100.7", "198.51.100.8"


def test_an_address_at_its_limit_waits_until_its_window_ends(db):
    start = utcnow()
    with db.transaction() as session:
        for _ in range(LIMIT - 1):
            note_failure(session, SPRAYER, start)
        check_address(session, SPRAYER, start)
        note_failure(session, SPRAYER, start)
    with db.transaction() as session:
        with pytest.raises(TooManyRequests) as refused:
            check_address(session, SPRAYER, start + WINDOW / 3)
        assert refused.value.retry_after == int((WINDOW * 2 / 3).total_seconds())
        check_address(session, NEIGHBOUR, start)
        check_address(session, SPRAYER, start + WINDOW)
        note_failure(session, SPRAYER, start + WINDOW)
    with db.sessions() as session:
        row = session.get(SignInAddress, SPRAYER)
        assert row.failures == 1 and row.window_start == start + WINDOW


@pytest.mark.postgres
def test_failures_from_many_requests_at_once_are_all_counted(db):
    threads, each = 8, 5
    barrier = Barrier(threads)

    def fail():
        barrier.wait()
        for _ in range(each):
            with db.transaction() as session:
                note_failure(session, SPRAYER)

    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(fail) for _ in range(threads)]:
            done.result()
    with db.sessions() as session:
        assert session.get(SignInAddress, SPRAYER).failures == threads * each
