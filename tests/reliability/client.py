"""An HTTP client as a careful real client behaves: every POST carries an Idempotency-Key,
and a connection error or a 5xx is answered by sending the same request (same key, same
body) again until the service answers it, or the client gives up.

Every request attempt is counted; what the client finally learnt about each operation is
returned to the caller, who keeps the record the checks compare with the database.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Answer:
    status: int | None  # None: the client never got an answer (gave up)
    body: dict
    sent_at: float  # before the first attempt
    done_at: float  # after the last
    attempts: int
    latency: float | None  # of the attempt that was answered
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def refused(self) -> bool:
        """Answered with a 4xx: the service says it did nothing."""
        return self.status is not None and 400 <= self.status < 500


@dataclass
class Stats:
    """Figures per operation kind, shared by all client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    attempted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    acknowledged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unknown: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    retried: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server_errors: list[tuple[str, str, int, str]] = field(default_factory=list)

    def add(self, kind: str, answer: Answer) -> None:
        with self.lock:
            self.attempted[kind] += 1
            if answer.attempts > 1:
                self.retried[kind] += 1
            if answer.ok:
                self.acknowledged[kind] += 1
            elif answer.refused:
                self.refused[kind] += 1
            else:
                self.unknown[kind] += 1
            if answer.latency is not None:
                self.latencies[kind].append(answer.latency)

    def server_error(self, kind: str, path: str, status: int, body: bytes) -> None:
        with self.lock:
            self.server_errors.append((kind, path, status, body[:500].decode(errors="replace")))


class Api:
    """One client thread's connection to the service (a new TCP connection per request, as
    gunicorn's sync workers close each one)."""

    def __init__(self, port: int, token: str, stats: Stats, give_up_after: float = 120.0):
        self.port = port
        self.token = token
        self.stats = stats
        self.give_up_after = give_up_after

    def get(self, kind: str, path: str) -> Answer:
        return self._call(kind, "GET", path, None, None)

    def post(self, kind: str, path: str, body: dict | None = None,
             key: str | None = None) -> Answer:
        return self._call(kind, "POST", path, body if body is not None else {},
                          key or uuid.uuid4().hex)

    def _call(self, kind: str, method: str, path: str, body: dict | None,
              key: str | None) -> Answer:
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        sent = time.monotonic()
        attempts, pause = 0, 0.05
        while True:
            attempts += 1
            began = time.monotonic()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=90)
                try:
                    conn.request(method, f"/api/v1{path}", body=payload, headers=headers)
                    response = conn.getresponse()
                    raw = response.read()
                    replayed = response.getheader("Idempotent-Replayed") == "true"
                finally:
                    conn.close()
            except (OSError, http.client.HTTPException):
                status = None
            else:
                status = response.status
                if status < 500:
                    answer = Answer(status, json.loads(raw) if raw else {}, sent,
                                    time.monotonic(), attempts, time.monotonic() - began,
                                    replayed)
                    self.stats.add(kind, answer)
                    return answer
                self.stats.server_error(kind, path, status, raw)
            if time.monotonic() - sent > self.give_up_after:
                answer = Answer(None, {}, sent, time.monotonic(), attempts, None)
                self.stats.add(kind, answer)
                return answer
            time.sleep(pause)  # back off before the retry; correctness never depends on it
            pause = min(pause * 2, 1.0)
