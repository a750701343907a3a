"""Settings: one typed list, read from defaults, a TOML file and the environment.

Precedence, lowest first: the defaults below, the TOML file named in
``FUNDPOOL_CONFIG``, ``FUNDPOOL_<NAME>`` environment variables, and the mapping
passed to ``create_app``. Every source is checked against the same list, so a
misspelt or ill-typed setting stops the service at start instead of being ignored.
``config/fundpool.example.toml`` documents each setting; a test keeps it in step.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

ENV_PREFIX = "FUNDPOOL_"
CONFIG_FILE_ENV = "FUNDPOOL_CONFIG"
#: Environment names under the prefix that are not settings.
NOT_SETTINGS = ("FUNDPOOL_CONFIG", "FUNDPOOL_TEST_")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """A setting is unknown or invalid; the message names it and its source."""


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    kind: type
    default: Any
    doc: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    check: Callable[[Any], None] | None = None


def _schedule(cron: str) -> None:
    """A matching schedule must read as crontab and name a time that comes: '0 2 30 2 *'
    never does, and the scheduler would keep the job paused without a word. Checked with
    every setting, so the web app refuses it too, not only ``fundpool scheduler``."""
    from fundpool.jobs import matching_trigger
    if matching_trigger(cron).get_next_fire_time(None, datetime.now(timezone.utc)) is None:
        raise ConfigError(f"matching_cron {cron!r} names no day that exists, "
                          "so matching would never run")


SETTINGS: tuple[Setting, ...] = (
    Setting("instance_folder", str, None,
            "Folder for local state (SQLite file, secret key). Unset: instance/ beside the package."),
    Setting("database_url", str, None,
            "SQLAlchemy URL. Unset: an SQLite file fundpool.sqlite3 in the instance folder."),
    Setting("database_pool_size", int, 5,
            "Connections kept open per process (PostgreSQL only).", minimum=1),
    Setting("secret_key", str, None,
            "Signs sessions. Unset: a random key kept in the instance folder's secret_key file."),
    Setting("log_level", str, "INFO", "Lowest level written to the JSON log.", choices=LOG_LEVELS),
    Setting("max_request_bytes", int, 1_048_576,
            "Largest request body accepted; larger ones get 413.", minimum=1024),
    Setting("max_import_bytes", int, 536_870_912,
            "Largest donations file accepted by POST /api/v1/imports.", minimum=1024),
    Setting("idempotency_key_hours", int, 24,
            "How long a retried POST with the same Idempotency-Key replays its answer.",
            minimum=24),
    Setting("hold_sweep_seconds", int, 60,
            "How often the scheduler voids holds past their expiry.", minimum=5),
    Setting("matching_cron", str, "0 2 * * *",
            "When the scheduler runs matching: crontab fields (minute hour day month weekday), "
            "Asia/Shanghai time, read as crontab reads them: weekday 0 and 7 are Sunday, and "
            "with both day and weekday restricted a day matching either runs it.",
            check=_schedule),
    Setting("proxy_hops", int, 0,
            "How many reverse proxies in front of fundpool append to X-Forwarded-For and set "
            "X-Forwarded-Proto; 0: clients connect directly. Sign-in limits count by the "
            "client address this gives.", minimum=0),
    Setting("demo_sign_in", str, None,
            "Demo only: the console signs visitors in as this user (a sign-in name) until they "
            "sign out. Never set it on a real service."),
)
BY_NAME = {s.name: s for s in SETTINGS}


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Merge every source into one checked dict keyed by setting name."""
    environ = os.environ if environ is None else environ
    values = {s.name: s.default for s in SETTINGS}
    path = environ.get(CONFIG_FILE_ENV)
    if path:
        values.update(_from_file(path))
    values.update(_from_environ(environ))
    for key, value in (overrides or {}).items():
        values[_known(key.lower(), "create_app(config=...)")] = value
    for setting in SETTINGS:
        values[setting.name] = _checked(setting, values[setting.name], "settings")
    return values


def _from_file(path: str) -> dict[str, Any]:
    source = f"config file {path}"
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{CONFIG_FILE_ENV} names {path}, which does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    values = {}
    for key, value in data.items():
        setting = BY_NAME.get(_known(key, source))
        values[key] = _checked(setting, value, source)
    return values


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    values = {}
    for env_name, raw in environ.items():
        if not env_name.startswith(ENV_PREFIX) or env_name.startswith(NOT_SETTINGS):
            continue
        source = f"environment variable {env_name}"
        name = _known(env_name[len(ENV_PREFIX):].lower(), source)
        values[name] = _checked(BY_NAME[name], _parse_text(BY_NAME[name], raw, source), source)
    return values


def _known(name: str, source: str) -> str:
    if name not in BY_NAME:
        known = ", ".join(sorted(BY_NAME))
        raise ConfigError(f"unknown setting {name!r} in {source}; known settings: {known}")
    return name


def _parse_text(setting: Setting, raw: str, source: str) -> Any:
    if setting.kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{source} must be a whole number, got {raw!r}") from None
    return raw


def _checked(setting: Setting, value: Any, source: str) -> Any:
    where = f"{setting.name} (from {source})"
    if value is None:
        if setting.default is None:
            return None
        raise ConfigError(f"{where} must be set")
    if setting.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{where} must be a whole number, got {value!r}")
    if setting.kind is str and not isinstance(value, str):
        raise ConfigError(f"{where} must be text, got {value!r}")
    if setting.choices and value not in setting.choices:
        raise ConfigError(f"{where} must be one of {', '.join(setting.choices)}, got {value!r}")
    if setting.minimum is not None and value < setting.minimum:
        raise ConfigError(f"{where} must be at least {setting.minimum}, got {value}")
    if setting.check is not None:
        try:
            setting.check(value)
        except ConfigError as exc:
            raise ConfigError(f"{exc} (from {source})") from None
    return value
