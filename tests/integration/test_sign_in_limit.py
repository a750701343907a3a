"""The per-address limit on failed console sign-ins: counted in the database, by window."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from fundpool.auth.sign_in_limit import LIMIT, WINDOW, bucket, check_address, note_failure
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


@pytest.mark.parametrize(("address", "counted_as"), [
    ("198.51.100.7", "198.51.100.7"),
    ("198.51.100.7:51234", "198.51.100.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
    ("[2001:db8:1:2::5]:443", "2001:db8:1:2::/64"),
    ("::ffff:198.51.100.7", "198.51.100.7"),
    ("", "unknown"), (None, "unknown"), ("not-an-address", "unknown"),
])
def test_addresses_are_counted_by_what_one_client_controls(address, counted_as):
    assert bucket(address) == counted_as


def test_a_client_roaming_within_its_ipv6_network_shares_one_count(db):
    start = utcnow()
    with db.transaction() as session:
        for host in range(LIMIT):
            note_failure(session, f"2001:db8:1:2::{host + 1:x}", start)
    with db.transaction() as session, pytest.raises(TooManyRequests):
        check_address(session, "2001:db8:1:2:ffff::1", start)
