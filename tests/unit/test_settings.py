"""Settings: defaults, file, environment and overrides; bad settings stop the start."""

from pathlib import Path

import pytest

from fundpool.settings import SETTINGS, ConfigError, load_settings

EXAMPLE = Path(__file__).parents[2] / "config" / "fundpool.example.toml"


def test_defaults_apply_when_nothing_is_set():
    settings = load_settings(environ={})
    assert settings["log_level"] == "INFO"
    assert settings["database_url"] is None
    assert settings["max_request_bytes"] == 1_048_576


def test_environment_beats_file_and_overrides_beat_both(tmp_path):
    path = tmp_path / "fundpool.toml"
    path.write_text('log_level = "DEBUG"\ndatabase_pool_size = 9\n')
    environ = {"FUNDPOOL_CONFIG": str(path), "FUNDPOOL_DATABASE_POOL_SIZE": "12"}
    settings = load_settings({"log_level": "ERROR"}, environ=environ)
    assert settings["database_pool_size"] == 12
    assert settings["log_level"] == "ERROR"


def test_test_variables_are_not_mistaken_for_settings():
    load_settings(environ={"FUNDPOOL_TEST_DATABASE_URL": "postgresql://x/y"})


@pytest.mark.parametrize("environ, says", [
    ({"FUNDPOOL_DATABSE_URL": "sqlite://"}, "unknown setting 'databse_url'"),
    ({"FUNDPOOL_DATABASE_POOL_SIZE": "many"}, "must be a whole number"),
    ({"FUNDPOOL_DATABASE_POOL_SIZE": "0"}, "at least 1"),
    ({"FUNDPOOL_LOG_LEVEL": "LOUD"}, "must be one of DEBUG, INFO, WARNING, ERROR"),
    ({"FUNDPOOL_CONFIG": "/nonexistent/fundpool.toml"}, "does not exist"),
    ({"FUNDPOOL_MATCHING_CRON": "at two"}, "matching_cron 'at two' is not a crontab schedule"),
    ({"FUNDPOOL_MATCHING_CRON": "0 2 30 2 *"},
     r"names no day that exists, so matching would never run \(from environment variable"),
])
def test_bad_environment_fails_with_a_clear_message(environ, says):
    with pytest.raises(ConfigError, match=says):
        load_settings(environ=environ)


@pytest.mark.parametrize("content, says", [
    ("log_levl = 'INFO'", "unknown setting 'log_levl' in config file"),
    ("max_request_bytes = '1MB'", "must be a whole number"),
    ("log_level = [", "not valid TOML"),
])
def test_bad_file_fails_with_a_clear_message(tmp_path, content, says):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=says):
        load_settings(environ={"FUNDPOOL_CONFIG": str(path)})


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_settings({"colour": "red"}, environ={})


def test_example_file_documents_every_setting_with_its_default():
    text = EXAMPLE.read_text(encoding="utf-8")
    for setting in SETTINGS:
        expected = f"# {setting.name} = " if setting.default is None else \
            f"# {setting.name} = {setting.default!r}".replace("'", '"')
        assert expected in text, f"{setting.name} is not documented in {EXAMPLE.name}"
