"""Tamper evidence: a canonical hash per entry and a hash chain per account.

entry_hash = SHA-256 of a canonical JSON of the entry and its postings.
chain_hash of an account's n-th posting = SHA-256(previous chain hash | entry_hash | n),
starting from 64 zeros. The account row keeps the newest (seq, hash): chains grow
under the account's row lock, which posting takes anyway, so writes to different
accounts never queue behind one shared row.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from typing import Any, Iterable


def canonical_entry(entry_id: int, effective_date: date, recorded_at: datetime, kind: str,
                    memo: str, external_ref: str | None, metadata: dict[str, str],
                    actor: str, reverses_id: int | None, hold_id: int | None,
                    postings: Iterable[tuple[str, str, int, str, int]]) -> bytes:
    """Postings are (account code, side, amount, currency, account seq) in posting order."""
    document: dict[str, Any] = {
        "id": entry_id, "effective_date": effective_date.isoformat(),
        "recorded_at": recorded_at.astimezone(timezone.utc).isoformat(timespec="microseconds"), "kind": kind,
        "memo": memo, "external_ref": external_ref, "metadata": metadata, "actor": actor,
        "reverses": reverses_id, "hold": hold_id, "postings": [list(p) for p in postings],
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode()


def entry_hash(canonical: bytes) -> str:
    return hashlib.sha256(canonical).hexdigest()


def chain_step(previous: str, entry_digest: str, seq: int) -> str:
    return hashlib.sha256(f"{previous}|{entry_digest}|{seq}".encode()).hexdigest()


def hash_of(entry) -> str:
    """Recompute an Entry row's hash from what is stored (for posting and verifying)."""
    return entry_hash(canonical_entry(
        entry.id, entry.effective_date, entry.recorded_at, entry.kind, entry.memo,
        entry.external_ref, entry.meta, entry.actor, entry.reverses_id, entry.hold_id,
        ((p.account.code, p.side, p.amount, p.currency, p.account_seq) for p in entry.postings)))
