"""Check the installed dependencies against known vulnerabilities, with pip-audit.

Fails (exit 1) on a known vulnerability that has a fixed release: upgrading is the remedy,
so shipping the old version is a choice nobody should make by accident. A vulnerability with
no fix yet is listed and does not fail the run.

pip-audit asks a vulnerability service (PyPI's JSON API) over the network. A dependency it
could not look up is *not audited*, which is not the same as *audited and clean*: pip-audit
itself reports "No known vulnerabilities found" then. This script counts such dependencies
and says plainly that they were not checked, rather than passing them as clean (it warns:
on a machine whose network answers "not found" for them the check cannot be made at all).
A run that gives no report — the service failing mid-way, pip-audit missing or crashing —
fails: an audit that did not finish must not pass. The project itself, installed editable,
is not a dependency and is left out.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """What one pip-audit report means for CI."""

    fixable: list[str]
    unfixed: list[str]
    unaudited: list[str]
    audited: int

    @property
    def failed(self) -> bool:
        return bool(self.fixable)


def judge(report: dict) -> Verdict:
    """Sort a ``pip-audit -f json`` report into fixable, unfixed and unaudited findings."""
    fixable, unfixed, unaudited, audited = [], [], [], 0
    for dependency in report.get("dependencies", []):
        name = f"{dependency['name']} {dependency.get('version', '')}".strip()
        if "skip_reason" in dependency:
            if "editable" not in dependency["skip_reason"]:
                unaudited.append(name)
            continue
        audited += 1
        for vuln in dependency.get("vulns", []):
            fixes = vuln.get("fix_versions") or []
            line = f"{name}: {vuln['id']}" + (f" (fixed in {', '.join(fixes)})" if fixes else "")
            (fixable if fixes else unfixed).append(line)
    return Verdict(fixable, unfixed, unaudited, audited)


def run_pip_audit() -> dict | None:
    """The report for this interpreter's environment (the project itself, editable, skipped).

    None when pip-audit gave no report; its error is passed on to stderr.
    """
    completed = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--format", "json", "--skip-editable",
         "--progress-spinner", "off"],
        capture_output=True, text=True, check=False)
    try:
        return json.loads(completed.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(completed.stderr)
        return None


def main() -> int:
    report = run_pip_audit()
    if report is None:
        print("FAILED: pip-audit gave no report (its error is above); nothing was audited")
        return 1
    verdict = judge(report)
    for line in verdict.fixable:
        print(f"VULNERABLE, fix available: {line}")
    for line in verdict.unfixed:
        print(f"vulnerable, no fix released yet: {line}")
    print(f"pip-audit: {verdict.audited} dependencies audited, {len(verdict.unaudited)} not "
          f"audited, {len(verdict.fixable)} fixable and {len(verdict.unfixed)} unfixed "
          "vulnerabilities")
    if verdict.unaudited:
        print("WARNING: NOT AUDITED (the vulnerability service did not answer for them): "
              + ", ".join(verdict.unaudited))
    return 1 if verdict.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
