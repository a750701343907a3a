"""The fundpool command: database, tokens, pool import, settings errors, and the demo."""

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from fundpool import migrate
from fundpool.cli import main


@pytest.fixture
def run(empty_database, tmp_path):
    url = empty_database()
    env = {"FUNDPOOL_DATABASE_URL": url, "FUNDPOOL_INSTANCE_FOLDER": str(tmp_path),
           "FUNDPOOL_LOG_LEVEL": "WARNING"}

    def invoke(*args, **extra_env):
        return CliRunner().invoke(main, list(args), env={**env, **extra_env},
                                  catch_exceptions=False)
    return invoke


def test_upgrade_import_and_issue_a_token(run):
    assert f"database at {migrate.head()}" in run("db", "upgrade").output
    imported = run("pools", "import")
    assert imported.exit_code == 0
    assert "89 pools created, 0 already present" in imported.output
    assert "0 pools created, 89 already present" in run("pools", "import").output
    made = run("tokens", "create", "--role", "admin", "--pool", "440304", "--name", "福田区管理员")
    assert made.exit_code == 0
    assert "fp_" in made.output
    listed = run("tokens", "list").output
    assert "admin\t440304\tactive\t福田区管理员" in listed
    token_id = listed.split("\t")[0]
    assert run("tokens", "revoke", token_id).exit_code == 0
    assert "revoked" in run("tokens", "list").output
    again = run("tokens", "revoke", token_id)
    assert again.exit_code == 2
    assert "already revoked" in again.output


def test_a_token_for_an_unknown_pool_is_refused_clearly(run):
    run("db", "upgrade")
    result = run("tokens", "create", "--role", "admin", "--pool", "440304", "--name", "x")
    assert result.exit_code == 2
    assert "there is no pool with code 440304" in result.output


def test_a_bad_import_file_changes_nothing(run, tmp_path):
    run("db", "upgrade")
    path = tmp_path / "pools.csv"
    path.write_text("code,name,level,parent_code\n440300,深圳市,city,\n"
                    "440304,福田区,district,440300\n440399001,某街道,street,440399\n",
                    encoding="utf-8")
    result = run("pools", "import", str(path))
    assert result.exit_code == 2
    assert "there is no pool with code 440399" in result.output
    imported = run("pools", "import")
    assert "89 pools created, 0 already present" in imported.output


def test_an_unknown_setting_stops_the_command_with_a_message(run):
    result = run("db", "current", FUNDPOOL_LOG_LEVL="DEBUG")
    assert result.exit_code == 2
    assert "unknown setting 'log_levl'" in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_first_administrator_is_invited_from_the_command_line(run):
    run("db", "upgrade")
    run("pools", "import")
    invited = run("users", "invite", "wang.fang", "--name", "王芳", "--role", "admin",
                  "--pool", "440304", "--base-url", "https://fundpool.example.org/")
    assert invited.exit_code == 0
    assert "https://fundpool.example.org/invite/" in invited.output
    again = run("users", "invite", "wang.fang", "--name", "王芳", "--role", "admin",
                "--pool", "440304")
    assert again.exit_code == 2 and "is taken" in again.output
    reset = run("users", "reset", "Wang.Fang")
    assert reset.exit_code == 0 and "/invite/" in reset.output
    assert run("users", "reset", "nobody").exit_code == 2


def test_demo_loads_shenzhen_and_serves_it(tmp_path):
    port = free_port()
    env = {**os.environ, "FUNDPOOL_INSTANCE_FOLDER": str(tmp_path)}
    env.pop("FUNDPOOL_DATABASE_URL", None)
    command = [sys.executable, "-c", "from fundpool.cli import main; main()", "demo",
               "--port", str(port), "--workers", "1"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as process:
        _check_demo(process, port)
    assert (tmp_path / "demo.sqlite3").exists()


def _check_demo(process, port):
    try:
        token = None
        for line in process.stdout:
            if "city admin token" in line:
                token = line.rsplit(" ", 1)[-1].strip()
            if "Listening at" in line:
                break
        assert token and token.startswith("fp_")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/pools/440304001",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.loads(response.read())
        assert body["name"] == "南园街道"
        assert len(body["children"]) == 3
        fund = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/funds/ELDER-440304001",
                                      headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(fund, timeout=60) as response:
            accounts = json.loads(response.read())["accounts"]
        bank = {a["chart_code"]: a["balance"] for a in accounts}
        # 30,000 given by bank transfer, less 15,000: the fund's half of the demo grant's
        # first instalment, paid from the bank; 12,345 from the platform still clearing.
        assert (bank["1002"], bank["1009"]) == ("15000.00", "12345.00")
        listed = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/matching/runs",
                                        headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(listed, timeout=60) as response:
            [first] = json.loads(response.read())["items"]
        assert (first["trigger"], first["status"]) == ("schedule", "done")
        assert first["proposals_seen"] > 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as response:
            console = response.read().decode()
        assert "深圳市" in console and "福田区" in console and "陈主任（示例）" in console
    finally:
        process.terminate()
        process.wait(timeout=30)



def test_verify_passes_then_fails_after_tampering(run, tmp_path):
    run("db", "upgrade")
    run("pools", "import")
    kept = run("checkpoint")
    assert kept.exit_code == 0
    (tmp_path / "checkpoint.json").write_text(kept.output, encoding="utf-8")
    result = run("verify", "--checkpoint", str(tmp_path / "checkpoint.json"))
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    edited = json.loads(kept.output)
    edited["accounts"][0]["head"] = "f" * 64
    (tmp_path / "edited.json").write_text(json.dumps(edited), encoding="utf-8")
    failed = run("verify", "--checkpoint", str(tmp_path / "edited.json"))
    assert failed.exit_code == 1
    assert "was edited" in failed.output


def test_import_donations_from_the_command_line(run):
    from tests.integration.test_import import SAMPLE
    run("db", "upgrade")
    run("pools", "import", str(Path(__file__).parents[2] / "fundpool/data/shenzhen-divisions.csv"))
    result = run("import", "donations", str(SAMPLE), "--expect-rows", "5")
    assert result.exit_code == 1  # ELDER-440304001 does not exist here
    assert "3 of 5 rows imported (11.99 CNY)" in result.output
    assert "line 3: there is no fund 'ELDER-440304001'" in result.output


def test_a_file_cannot_be_imported_as_gifts_in_kind(run):
    """A gift in kind needs what it is and how it was valued; a platform file has neither."""
    from tests.integration.test_import import SAMPLE
    result = run("import", "donations", str(SAMPLE), "--channel", "in_kind")
    assert result.exit_code == 2
    assert "'in_kind' is not one of" in result.output


def test_export_the_audit_log_from_the_command_line(run, tmp_path):
    run("db", "upgrade")
    run("pools", "import")
    run("tokens", "create", "--role", "auditor", "--name", "审计")
    out = tmp_path / "audit.jsonl"
    result = run("export", "audit-log", "--format", "jsonl", "--output", str(out))
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [e["action"] for e in events if e["action"].startswith("token")] == ["token.create"]
    assert all(e["actor"].startswith("cli:") for e in events)
    backwards = run("export", "audit-log", "--from", "2026-02-02", "--to", "2026-02-01")
    assert backwards.exit_code != 0
    assert "after" in backwards.output


def test_back_up_and_restore_from_the_command_line(run, empty_database, tmp_path):
    run("db", "upgrade")
    run("pools", "import")
    file = tmp_path / "books.backup"
    made = run("db", "backup", str(file))
    assert made.exit_code == 0, made.output
    assert file.stat().st_size > 0
    refused = run("db", "restore", str(file))
    assert refused.exit_code == 2
    assert "not empty" in refused.output
    restored = run("db", "restore", str(file), FUNDPOOL_DATABASE_URL=empty_database())
    assert restored.exit_code == 0, restored.output
    assert "OK: every hash, chain and balance verifies" in restored.output


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"accounts": "all"}',
                                  '{"accounts": [{"account": "440300:1002:CNY"}], '
                                  '"digest": "x"}', "\udcff"])
def test_verify_refuses_a_file_that_is_not_a_checkpoint_with_a_message(run, tmp_path, text):
    """Exit status 1 means the books failed verification; a wrong file is the operator's
    mistake (2), said in one line, never a traceback an auditor could read as tampering."""
    run("db", "upgrade")
    path = tmp_path / "not-a-checkpoint.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    result = run("verify", "--checkpoint", str(path))
    assert result.exit_code == 2, result.output
    assert "is not a checkpoint" in result.output
    assert "Traceback" not in result.output


def test_a_backup_that_cannot_be_written_says_why(run, tmp_path):
    """A backup to a directory that does not exist, or over a file that is not a backup, is
    refused in one line with exit status 2, and the file that was there is left alone
    (SQLite's backup API; pg_dump words its own refusals)."""
    sqlite = {"FUNDPOOL_DATABASE_URL": f"sqlite:///{tmp_path / 'books.sqlite3'}"}
    run("db", "upgrade", **sqlite)
    missing = run("db", "backup", str(tmp_path / "no-such-dir" / "books.backup"), **sqlite)
    assert missing.exit_code == 2, missing.output
    assert "cannot write a backup to" in missing.output
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n", encoding="utf-8")
    refused = run("db", "backup", str(notes), **sqlite)
    assert refused.exit_code == 2, refused.output
    assert "cannot write a backup to" in refused.output
    assert notes.read_text(encoding="utf-8") == "not a database\n"


def test_an_export_to_a_directory_that_does_not_exist_says_so(run, tmp_path):
    run("db", "upgrade")
    for args in (("export", "audit-log"),
                 ("export", "ledger", "--from", "2026-01-01", "--to", "2026-01-02")):
        target = tmp_path / "no-such-dir" / "out.csv"
        result = run(*args, "--output", str(target))
        assert result.exit_code == 2, result.output
        assert f"fundpool: cannot write {target}: No such file or directory" in result.output


def test_an_operator_without_a_login_name_is_still_recorded(run, monkeypatch, tmp_path):
    """A container's user may have no name (a uid missing from /etc/passwd, no USER or
    LOGNAME): the command still runs, and the audit log says which uid it was."""
    import os
    import pwd

    def no_entry(uid):
        raise KeyError(f"getpwuid(): uid not found: {uid}")
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    run("db", "upgrade")
    made = run("tokens", "create", "--role", "auditor", "--name", "审计")
    assert made.exit_code == 0, made.output
    out = tmp_path / "audit.jsonl"
    run("export", "audit-log", "--format", "jsonl", "--output", str(out))
    actors = {json.loads(line)["actor"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert actors == {f"cli:uid:{os.getuid()}"}
