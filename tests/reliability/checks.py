"""After the run: what the clients were told, compared with what the database holds, and
the ledger's own invariants. Every check returns the sentences of what it found wrong.

Each write carries a unique tag (a channel reference, a memo, a refund reason), so a write
is looked up by its tag: acknowledged → exactly once; refused (4xx) → not at all; never
answered → at most once, and then whole.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from itertools import accumulate

import psycopg

from tests.reliability.operations import Op, Read

# kind → SQL counting the rows a tag made (one %s: the tags)
BY_TAG = {
    "donation": "SELECT channel_ref FROM donations WHERE channel_ref = ANY(%s)",
    "allocation": "SELECT memo FROM allocations WHERE memo = ANY(%s)",
    "hold": "SELECT memo FROM holds WHERE memo = ANY(%s)",
    "commit": "SELECT memo FROM entries WHERE memo = ANY(%s) AND hold_id IS NOT NULL",
    "adjustment": "SELECT memo FROM entries WHERE memo = ANY(%s) AND kind = 'adjustment'",
    "reversal": "SELECT memo FROM entries WHERE memo = ANY(%s) AND reverses_id IS NOT NULL",
    "refund": "SELECT substring(memo from '退款 (REL[0-9]+-[0-9a-f]+)') FROM entries "
              "WHERE kind = 'refund' AND substring(memo from '退款 (REL[0-9]+-[0-9a-f]+)') = ANY(%s)",
    "need": "SELECT survey_ref FROM needs WHERE survey_ref = ANY(%s)",
    "proposal": "SELECT title FROM proposals WHERE title = ANY(%s)",
}


def writes_by_tag(conn: psycopg.Connection, ops: list[Op]) -> list[str]:
    problems = []
    for kind, sql in BY_TAG.items():
        mine = [op for op in ops if op.kind == kind]
        found = Counter(row[0] for row in conn.execute(sql, ([op.tag for op in mine],)))
        for op in mine:
            count = found[op.tag]
            if op.answer.ok and count != 1:
                problems.append(f"{kind} {op.tag} was acknowledged but is there {count} times")
            elif op.answer.refused and count != 0:
                problems.append(f"{kind} {op.tag} was refused ({op.answer.status}) but is there "
                                f"{count} times")
            elif count > 1:
                problems.append(f"{kind} {op.tag} (never answered) is there {count} times")
    return problems


def holds_resolved(conn: psycopg.Connection, ops: list[Op]) -> list[str]:
    """An acknowledged commit left its hold committed with one entry; a void, voided and
    none; no hold has more than one entry."""
    problems = []
    status = dict(conn.execute("SELECT id, status FROM holds"))
    entries = Counter(row[0] for row in conn.execute(
        "SELECT hold_id FROM entries WHERE hold_id IS NOT NULL"))
    for hold_id, count in entries.items():
        if count > 1:
            problems.append(f"hold {hold_id} has {count} entries")
    for op in ops:
        if op.kind not in ("commit", "void") or not op.answer.ok:
            continue
        hold = op.detail["hold"]
        want = ("committed", 1) if op.kind == "commit" else ("voided", 0)
        if (status.get(hold), entries[hold]) != want:
            problems.append(f"hold {hold}: {op.kind} acknowledged, yet it is {status.get(hold)} "
                            f"with {entries[hold]} entries")
    for op in ops:
        if op.kind == "approval" and op.answer.ok:
            row = conn.execute("SELECT status, hold_id FROM run_matches WHERE id = %s",
                               (op.detail["match"],)).fetchone()
            if row is None or row[0] == "proposed" or row[1] is None:
                problems.append(f"match {op.detail['match']} approval acknowledged, yet {row}")
        if op.kind == "matching_run" and op.answer.ok:
            row = conn.execute("SELECT status FROM matching_runs WHERE id = %s",
                               (op.answer.body["id"],)).fetchone()
            if row is None or row[0] != "done":
                problems.append(f"matching run {op.answer.body['id']} acknowledged, yet {row}")
    return problems


def runs_finished(conn: psycopg.Connection) -> list[str]:
    """A matching run never stays 'running' once a later scheduled one has begun: a run
    cut off by a crash is marked failed by the next (only the newest may be under way)."""
    newest = conn.execute("SELECT max(id) FROM matching_runs WHERE trigger = 'schedule'")
    latest = newest.fetchone()[0]
    return [f"matching run {run_id} ({trigger}) is still 'running' after later runs"
            for run_id, trigger in conn.execute(
                "SELECT id, trigger FROM matching_runs WHERE status = 'running' AND id <> %s",
                (latest or 0,))]


def donations_whole(conn: psycopg.Connection) -> list[str]:
    """Every donation has its balanced entry and, unless all given back, one live receipt
    for what remains; refunded equals its refund entries."""
    problems = []
    rows = conn.execute("""
        SELECT d.id, d.amount, d.refunded,
               (SELECT count(*) FROM postings p WHERE p.entry_id = d.entry_id),
               (SELECT coalesce(sum(CASE WHEN p.side = 'debit' THEN p.amount ELSE -p.amount END),
                                0) FROM postings p WHERE p.entry_id = d.entry_id),
               (SELECT count(*) FROM receipts r WHERE r.donation_id = d.id
                                                 AND r.voided_at IS NULL),
               (SELECT max(r.amount) FROM receipts r WHERE r.donation_id = d.id
                                                       AND r.voided_at IS NULL),
               (SELECT coalesce(sum(p.amount), 0) FROM entries e JOIN postings p
                  ON p.entry_id = e.id AND p.side = 'debit'
                WHERE e.kind = 'refund' AND e.memo LIKE 'refund of donation ' || d.id || ':%%')
        FROM donations d""").fetchall()
    for did, amount, refunded, postings, net, live, receipt, refund_entries in rows:
        if postings < 2 or net != 0:
            problems.append(f"donation {did}: its entry has {postings} postings, net {net}")
        want_live = 0 if refunded == amount else 1
        if live != want_live or (live and receipt != amount - refunded):
            problems.append(f"donation {did}: {live} live receipts of {receipt} for "
                            f"{amount - refunded} left")
        if refund_entries != refunded:
            problems.append(f"donation {did}: refunded {refunded}, refund entries {refund_entries}")
    return problems


def receipts_gapless(conn: psycopg.Connection) -> list[str]:
    problems = []
    books = conn.execute("SELECT id, code, first_number, next_number FROM receipt_books")
    for book_id, code, first, following in books.fetchall():
        numbers = [n for (n,) in conn.execute(
            "SELECT number FROM receipts WHERE book_id = %s ORDER BY number", (book_id,))]
        if numbers != list(range(first, following)):
            dupes = [n for n, c in Counter(numbers).items() if c > 1]
            gaps = sorted(set(range(first, following)) - set(numbers))
            problems.append(f"receipt book {code}: {len(numbers)} receipts for numbers "
                            f"{first}..{following - 1}; duplicates {dupes[:5]}, gaps {gaps[:5]}")
    return problems


def ledger_sums(conn: psycopg.Connection) -> list[str]:
    """Each currency sums to zero (postings and maintained balances); no no-overdraft
    account below zero; maintained balances and pending equal what postings and pending
    holds recompute; no entry unbalanced; no claimed key without its answer."""
    problems = []
    for currency, net in conn.execute(
            "SELECT currency, sum(CASE WHEN side = 'debit' THEN amount ELSE -amount END) "
            "FROM postings GROUP BY currency"):
        if net != 0:
            problems.append(f"{currency}: postings sum to {net}, not 0")
    for currency, net in conn.execute(
            "SELECT currency, sum(CASE WHEN type IN ('asset', 'expense') THEN balance "
            "ELSE -balance END) FROM accounts GROUP BY currency"):
        if net != 0:
            problems.append(f"{currency}: maintained balances sum to {net}, not 0")
    for code, balance, pending in conn.execute(
            "SELECT code, balance, pending FROM accounts WHERE no_overdraft "
            "AND (balance < 0 OR balance - pending < 0)"):
        problems.append(f"{code} is overdrawn: balance {balance}, pending {pending}")
    for code, balance, posted in conn.execute("""
            SELECT a.code, a.balance, coalesce(sum(CASE WHEN (p.side = 'debit') =
                   (a.type IN ('asset', 'expense')) THEN p.amount ELSE -p.amount END), 0)
            FROM accounts a LEFT JOIN postings p ON p.account_id = a.id
            GROUP BY a.id HAVING a.balance <> coalesce(sum(CASE WHEN (p.side = 'debit') =
                   (a.type IN ('asset', 'expense')) THEN p.amount ELSE -p.amount END), 0)"""):
        problems.append(f"{code}: maintained balance {balance}, postings say {posted}")
    for code, pending, held in conn.execute("""
            SELECT a.code, a.pending, coalesce(sum(l.amount) FILTER
                   (WHERE h.status = 'pending'), 0)
            FROM accounts a LEFT JOIN hold_legs l ON l.account_id = a.id
            LEFT JOIN holds h ON h.id = l.hold_id GROUP BY a.id
            HAVING a.pending <> coalesce(sum(l.amount) FILTER (WHERE h.status = 'pending'), 0)"""):
        problems.append(f"{code}: pending {pending}, pending holds say {held}")
    for entry_id, net, count in conn.execute("""
            SELECT e.id, coalesce(sum(CASE WHEN p.side = 'debit' THEN p.amount
                                           ELSE -p.amount END), 0), count(p.id)
            FROM entries e LEFT JOIN postings p ON p.entry_id = e.id GROUP BY e.id
            HAVING count(p.id) < 2 OR sum(CASE WHEN p.side = 'debit' THEN p.amount
                                               ELSE -p.amount END) <> 0"""):
        problems.append(f"entry {entry_id}: {count} postings netting {net}")
    for (keys,) in conn.execute("SELECT count(*) FROM idempotency_keys WHERE status_code IS NULL"):
        if keys:
            problems.append(f"{keys} idempotency keys were kept without their answer")
    return problems


def reads_consistent(reads: list[Read], ops: list[Op], baseline: int) -> list[str]:
    """Every read of the district's rollup balanced by itself, and its income lay between
    what had surely happened when the read began (donations acknowledged, refunds maybe
    made) and what might have happened by the time it was answered."""
    problems = []
    donations = [op for op in ops if op.kind == "donation" and not op.answer.refused]
    refunds = [op for op in ops if op.kind == "refund" and not op.answer.refused]

    def prefix(events):  # (time, amount) → sorted times and running sums
        events = sorted(events)
        return [t for t, _ in events], [0, *accumulate(a for _, a in events)]

    def upto(table, moment):
        times, sums = table
        return sums[bisect.bisect_left(times, moment)]

    given_acked = prefix((op.answer.done_at, op.detail["amount"])
                         for op in donations if op.answer.ok)
    given_sent = prefix((op.answer.sent_at, op.detail["amount"]) for op in donations)
    back_acked = prefix((op.answer.done_at, op.detail["amount"]) for op in refunds if op.answer.ok)
    back_sent = prefix((op.answer.sent_at, op.detail["amount"]) for op in refunds)
    for read in reads:
        if read.imbalance:
            problems.append(f"a balance read of the district's rollup was out of balance by "
                            f"{read.imbalance} fen")
        low = baseline + upto(given_acked, read.began) - upto(back_sent, read.ended)
        high = baseline + upto(given_sent, read.ended) - upto(back_acked, read.began)
        if not low <= read.income <= high:
            problems.append(f"a balance read showed the district's income as {read.income} fen, "
                            f"outside what the clients' donations and refunds allow "
                            f"[{low}, {high}]")
    return problems


def run_all(dsn: str, ops: list[Op], reads: list[Read], baseline: int) -> dict[str, list[str]]:
    with psycopg.connect(dsn) as conn:
        return {
            "acknowledged writes exist exactly once, refused ones not at all":
                writes_by_tag(conn, ops),
            "holds, approvals and runs as acknowledged": holds_resolved(conn, ops),
            "no matching run left running by a crash": runs_finished(conn),
            "donations whole (entry, receipt, refunds)": donations_whole(conn),
            "receipt numbers gapless and unique per book": receipts_gapless(conn),
            "ledger sums, no overdraft, maintained = recomputed": ledger_sums(conn),
            "balance reads consistent": reads_consistent(reads, ops, baseline),
        }


def group(ops: list[Op]) -> dict[str, list[Op]]:
    by_kind: dict[str, list[Op]] = defaultdict(list)
    for op in ops:
        by_kind[op.kind].append(op)
    return by_kind
