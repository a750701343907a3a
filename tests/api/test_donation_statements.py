"""What one receipted donation sends to PostgreSQL: one transaction of ten statements, the
ledger's two (the accounts' lock, the entry) on the driver's connection and eight through
SQLAlchemy (the token, the key's claim, the fund, the checks, the gift, its receipt number
and row together, the audit event, the stored answer), and rows that match."""

import pytest
from sqlalchemy import event, func, select

from fundpool.audit.models import AuditEvent
from fundpool.donations.models import Receipt
from fundpool.ledger.posting import today

STREET = "440304001"


@pytest.mark.postgres
def test_a_receipted_donation_is_one_transaction_of_ten_statements(client, shenzhen, db):
    admin = shenzhen.headers("street_admin")
    book = client.post(f"/api/v1/pools/{STREET}/receipt-books", headers=admin, json={
        "code": "44030001", "first_number": "0000000101", "last_number": "0000000200"})
    assert book.status_code == 201, book.json
    donor = client.post("/api/v1/donors", headers=admin,
                        json={"kind": "individual", "name": "张三"}).json
    sent: list[str] = []
    commits: list[str] = []

    def keep(_conn, _cursor, statement, *_args):
        sent.append(statement)

    def committed(_conn):
        commits.append("commit")

    event.listen(db.engine, "before_cursor_execute", keep)
    event.listen(db.engine, "commit", committed)
    try:
        response = client.post("/api/v1/donations", headers={**admin, "Idempotency-Key": "d-1"},
                               json={"donor_id": donor["id"], "fund": STREET, "amount": "50.00",
                                     "channel": "bank_transfer", "channel_ref": "REF-1",
                                     "received_date": today().isoformat()})
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
        event.remove(db.engine, "commit", committed)
    assert response.status_code == 201, response.json
    assert len(sent) == 8, "\n".join(sent)
    assert commits == ["commit"]
    assert (response.json["receipt"]["code"], response.json["receipt"]["number"]) == (
        "44030001", "0000000101")
    with db.sessions() as session:
        receipt = session.scalars(select(Receipt)).one()
        assert (receipt.donation_id, receipt.amount, receipt.number) == (
            response.json["id"], 5000, 101)
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "donation.record",
            AuditEvent.target_id == str(response.json["id"]))) == 1
