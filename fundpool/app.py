"""The application factory: settings, logging, database, API, console, security headers."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from fundpool import migrate
from fundpool.api import init_api
from fundpool.api.security_headers import init_security_headers
from fundpool.console import init_console
from fundpool.db import Database, make_engine
from fundpool.logs import configure_logging
from fundpool.settings import load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides every other source of settings (see settings.py)."""
    settings = load_settings(config)
    folder = settings["instance_folder"]
    app = Flask("fundpool", instance_path=str(Path(folder).resolve()) if folder else None)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure_logging(settings["log_level"])
    url = settings["database_url"] or default_database_url(app.instance_path)
    app.config["SECRET_KEY"] = settings["secret_key"] or _instance_secret(app.instance_path)
    app.config["FUNDPOOL"] = settings
    app.extensions["fundpool.db"] = Database(make_engine(url, settings["database_pool_size"]))
    app.extensions["fundpool.schema_head"] = migrate.head()
    init_api(app, settings["max_request_bytes"])
    init_console(app)
    init_security_headers(app)
    if settings["proxy_hops"]:
        hops = settings["proxy_hops"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


def default_database_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'fundpool.sqlite3'}"


def _instance_secret(instance_path: str) -> str:
    """A random key made once and kept beside the data, so all workers share it."""
    path = Path(instance_path) / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()
