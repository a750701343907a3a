"""The ledger core knows nothing of Flask or of the API that calls it."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "fundpool"
CORE = ["ledger", "pools", "audit", "auth", "exports", "matching", "reports"]
FORBIDDEN = ("flask", "werkzeug", "flask_smorest", "fundpool.api", "fundpool.app")


def imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("package", CORE)
def test_core_packages_do_not_import_the_web_layer(package):
    for path in (PACKAGE / package).rglob("*.py"):
        bad = [name for name in imports(path) if name.startswith(FORBIDDEN)]
        assert bad == [], f"{path.relative_to(PACKAGE)} imports {bad}"
