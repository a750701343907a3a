"""The per-address limit on failed console sign-ins: counted in the database, by window."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from fundpool.auth.sign_in_limit import LIMIT, WINDOW, bucket, give_back, take_attempt
from fundpool.auth.user_models import SignInAddress
from fundpool.db import utcnow
from fundpool.errors import TooManyRequests

SPRAYER, NEIGHBOUR = "198.51.100.7", "198.51.100.8"


def test_an_address_at_its_limit_waits_until_its_window_ends(db):
    start = utcnow()
    with db.transaction() as session:
        for _ in range(LIMIT):
            take_attempt(session, SPRAYER, start)
    with pytest.raises(TooManyRequests) as refused, db.transaction() as session:
        take_attempt(session, SPRAYER, start + WINDOW / 3)
    assert refused.value.retry_after == int((WINDOW * 2 / 3).total_seconds())
    with db.transaction() as session:
        take_attempt(session, NEIGHBOUR, start)
        take_attempt(session, SPRAYER, start + WINDOW)
    with db.sessions() as session:
        row = session.get(SignInAddress, SPRAYER)
        assert row.failures == 1 and row.window_start == start + WINDOW


def test_a_successful_attempt_is_given_back_and_a_refused_one_never_counted(db):
    with db.transaction() as session:
        for _ in range(LIMIT - 1):
            take_attempt(session, SPRAYER)
        for _ in range(5):
            take_attempt(session, SPRAYER)
            give_back(session, SPRAYER)
        take_attempt(session, SPRAYER)
    for _ in range(3):
        with pytest.raises(TooManyRequests), db.transaction() as session:
            take_attempt(session, SPRAYER)
    with db.sessions() as session:
        assert session.get(SignInAddress, SPRAYER).failures == LIMIT


@pytest.mark.postgres
def test_attempts_arriving_at_once_never_get_past_the_limit(db):
    with db.transaction() as session:
        for _ in range(LIMIT - 1):
            take_attempt(session, SPRAYER)
    threads = 12
    barrier = Barrier(threads)

    def attempt(_):
        barrier.wait()
        try:
            with db.transaction() as session:
                take_attempt(session, SPRAYER)
        except TooManyRequests:
            return False
        return True

    with ThreadPoolExecutor(threads) as pool:
        admitted = list(pool.map(attempt, range(threads)))
    assert admitted.count(True) == 1
    with db.sessions() as session:
        assert session.get(SignInAddress, SPRAYER).failures == LIMIT


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
    with db.transaction() as session:
        for host in range(LIMIT):
            take_attempt(session, f"2001:db8:1:2::{host + 1:x}")
    with pytest.raises(TooManyRequests), db.transaction() as session:
        take_attempt(session, "2001:db8:1:2:ffff::1")
