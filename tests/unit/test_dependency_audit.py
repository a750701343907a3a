"""CI's dependency audit fails on a fixable vulnerability and never calls unchecked clean."""

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "audit_dependencies.py"
spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
audit = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = audit
spec.loader.exec_module(audit)


def report(*dependencies):
    return {"dependencies": list(dependencies), "fixes": []}


def test_a_vulnerability_with_a_fixed_release_fails_the_run():
    verdict = audit.judge(report(
        {"name": "flask", "version": "3.1.0", "vulns": []},
        {"name": "jinja2", "version": "3.1.4", "vulns": [
            {"id": "GHSA-q2x7-8rv6-6q7h", "fix_versions": ["3.1.5"], "aliases": []}]},
    ))
    assert verdict.failed
    assert verdict.fixable == ["jinja2 3.1.4: GHSA-q2x7-8rv6-6q7h (fixed in 3.1.5)"]
    assert verdict.audited == 2


def test_a_vulnerability_without_a_fix_is_listed_but_does_not_fail():
    verdict = audit.judge(report(
        {"name": "somepkg", "version": "1.0", "vulns": [{"id": "PYSEC-1", "fix_versions": []}]}))
    assert not verdict.failed
    assert verdict.unfixed == ["somepkg 1.0: PYSEC-1"]


def test_a_dependency_the_service_could_not_look_up_counts_as_not_audited():
    verdict = audit.judge(report(
        {"name": "alembic", "skip_reason": "Dependency not found on PyPI and could not be "
                                           "audited: alembic (1.20.1)"},
        {"name": "flask", "version": "3.1.0", "vulns": []},
    ))
    assert not verdict.failed
    assert verdict.unaudited == ["alembic"]
    assert verdict.audited == 1


def test_the_project_itself_installed_editable_is_not_a_dependency_left_unaudited():
    verdict = audit.judge(report(
        {"name": "fundpool", "skip_reason": "distribution marked as editable"}))
    assert verdict.unaudited == [] and not verdict.failed


def test_no_report_at_all_fails_the_run(monkeypatch, capsys):
    monkeypatch.setattr(audit, "run_pip_audit", lambda: None)
    assert audit.main() == 1
    assert "nothing was audited" in capsys.readouterr().out
