"""The demo loads the Shenzhen hierarchy and some money, and loading again changes nothing."""

from fundpool import demo
from fundpool.audit.log import Actor
from fundpool.ledger.balances import current
from fundpool.ledger.verify import verify


def test_demo_loads_once_and_its_books_verify(db):
    with db.transaction() as session:
        created, kept = demo.load(session, Actor("demo"))
        assert (created, kept) == (1 + 9 + 79 + 79 * 3, 0)
        assert demo.load_money(session, Actor("demo")) is True
    with db.transaction() as session:
        assert demo.load(session, Actor("demo")) == (0, created)
        assert demo.load_money(session, Actor("demo")) is False
    with db.sessions() as session:
        assert current(session, "440304:1002:CNY").balance == 150_000_00
        assert current(session, "440304001:1002:CNY").balance == 50_000_00
        assert verify(session).ok
