"""Running the app under gunicorn, from the ``fundpool serve`` and ``demo`` commands."""

from __future__ import annotations

from typing import Any, Mapping

from gunicorn.app.base import BaseApplication

from fundpool.app import create_app

#: Seconds a sync worker may spend on one request before gunicorn kills it. The longest
#: request served is a matching run asked for over the API at city scale (10,000
#: proposals, 100,000 needs): 34 s on a quiet machine, 54-69 s on a busy one (load average
#: 5-6), the engine's time limit being 50 s (benchmarks/matching_run_bench.py). At
#: gunicorn's 60 s the worker would be killed and the run lost.
WORKER_TIMEOUT = 120


class GunicornServer(BaseApplication):
    """Each worker builds its own app (and engine) after the fork; nothing is preloaded."""

    def __init__(self, options: Mapping[str, Any], app_config: Mapping[str, Any] | None = None):
        self.options = dict(options)
        self.app_config = dict(app_config or {})
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app(self.app_config)


def serve(host: str, port: int, workers: int, app_config: Mapping[str, Any] | None = None) -> None:
    GunicornServer({"bind": f"{host}:{port}", "workers": workers, "accesslog": None,
                    "errorlog": "-", "timeout": WORKER_TIMEOUT,
                    "control_socket_disable": True}, app_config).run()
