"""Looking a token up on every request: one statement, and the read it begins ends with
COMMIT (psycopg drops its prepared statements at every ROLLBACK); inside a caller's
transaction it ends nothing."""

import pytest

from fundpool.auth.tokens import authenticate
from fundpool.errors import Unauthenticated
from fundpool.pools.codes import Level


def test_a_lookup_that_began_the_transaction_ends_it(db, shenzhen):
    with db.sessions() as session:
        found = authenticate(session, shenzhen.secrets["city_admin"])
        assert not session.in_transaction()
    assert found.role == "admin"
    assert found.pool_level is Level.CITY


def test_a_token_without_a_pool_has_no_scope(db, shenzhen):
    with db.sessions() as session:
        found = authenticate(session, shenzhen.secrets["foundation"])
    assert (found.role, found.pool_code, found.pool_level) == ("foundation", None, None)


def test_a_lookup_inside_a_transaction_leaves_it_open(db, shenzhen):
    with db.transaction() as session:
        session.connection()  # the caller's transaction has begun
        authenticate(session, shenzhen.secrets["city_admin"])
        assert session.in_transaction()


def test_an_unknown_token_is_refused(db, shenzhen):
    with db.sessions() as session, pytest.raises(Unauthenticated, match="not known"):
        authenticate(session, "fp_" + "x" * 43)
