"""The short bank workload with crashes, in the normal suite on PostgreSQL: about a minute
of 32 clients against gunicorn (4 workers) and the scheduler, each killed with SIGKILL five
times. The long run is ``python -m tests.reliability.workload`` (docs/reliability.md)."""

import os

import pytest

from tests.reliability import workload


@pytest.mark.postgres
def test_every_acknowledged_write_survives_five_crashes_under_32_clients():
    lines: list[str] = []
    result = workload.run(os.environ["FUNDPOOL_TEST_DATABASE_URL"], seconds=60, clients=32,
                          crashes=5, log=lines.append)
    workload.report(result, log=lines.append)
    print("\n".join(lines))
    assert result.crashes >= 5
    assert sum(result.stats.acknowledged.values()) > 0
    assert result.ok, "\n".join(lines)
