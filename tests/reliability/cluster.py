"""The real service for the reliability workload: a throwaway PostgreSQL database, the
``fundpool`` command, gunicorn (``fundpool serve``) and ``fundpool scheduler`` as child
processes that can be killed with SIGKILL and started again.

Each server runs in a session of its own, so one ``killpg`` takes the gunicorn master and
all its workers at once, as a machine losing power would.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

FUNDPOOL = [sys.executable, "-c", "from fundpool.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Database:
    """A database of its own on the server, dropped (even with connections left) at the end."""

    def __init__(self, server_url: str) -> None:
        url = make_url(server_url).set(drivername="postgresql+psycopg")
        self.name = f"fundpool_reliability_{uuid.uuid4().hex[:10]}"
        self.url = url.set(database=self.name).render_as_string(hide_password=False)
        self._admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.dsn = url.set(drivername="postgresql",
                           database=self.name).render_as_string(hide_password=False)

    def create(self) -> None:
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Cluster:
    """gunicorn and the scheduler on one database, with a log file per process start."""

    def __init__(self, database: Database, workdir: Path, workers: int = 4) -> None:
        self.database = database
        self.workdir = workdir
        self.workers = workers
        self.port = free_port()
        self.server: subprocess.Popen | None = None
        self.scheduler: subprocess.Popen | None = None
        self.starts = 0
        self.env = {**os.environ,
                    "FUNDPOOL_DATABASE_URL": database.url,
                    "FUNDPOOL_SECRET_KEY": secrets.token_hex(32),
                    "FUNDPOOL_INSTANCE_FOLDER": str(workdir),
                    "FUNDPOOL_LOG_LEVEL": "WARNING",
                    "FUNDPOOL_HOLD_SWEEP_SECONDS": "5",
                    "FUNDPOOL_MATCHING_CRON": "* * * * *"}
        self.env.pop("FUNDPOOL_CONFIG", None)

    def fundpool(self, *args: str) -> str:
        """Run one ``fundpool`` command to its end; its output, or an error with its stderr."""
        done = subprocess.run([*FUNDPOOL, *args], check=False, env=self.env, capture_output=True, text=True,
                              timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"fundpool {' '.join(args)} exited {done.returncode}:\n"
                               f"{done.stdout}\n{done.stderr}")
        return done.stdout

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.workdir / f"{name}-{self.starts}.log", "wb")  # noqa: SIM115
        try:
            return subprocess.Popen([*FUNDPOOL, *args], env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()

    def start(self, timeout: float = 120.0) -> None:
        """Start gunicorn and the scheduler, and return once the service answers /ready."""
        self.starts += 1
        self.server = self._spawn("gunicorn", "serve", "--host", "127.0.0.1",
                                  "--port", str(self.port), "--workers", str(self.workers))
        self.scheduler = self._spawn("scheduler", "scheduler")
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        """Poll /api/v1/ready until it answers 200 (the server accepts and reaches the DB)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server is not None and self.server.poll() is not None:
                raise RuntimeError(f"gunicorn exited {self.server.returncode} at start; see "
                                   f"{self.workdir}/gunicorn-{self.starts}.log")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/api/v1/ready")
                if conn.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(0.1)
        raise RuntimeError(f"the service was not ready within {timeout:.0f} s")

    def crash(self) -> None:
        """SIGKILL the gunicorn master with its workers, and the scheduler: no clean-up."""
        for proc in (self.server, self.scheduler):
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()

    def stop(self) -> None:
        """Stop both gracefully (SIGTERM to each session), SIGKILL whatever lingers."""
        for proc in (self.server, self.scheduler):
            if proc is None or proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def logs(self) -> str:
        return "\n".join(f"== {path.name}\n{path.read_text(errors='replace')}"
                         for path in sorted(self.workdir.glob("*.log")))
