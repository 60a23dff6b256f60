"""The domain and its documents import only what a platform-neutral core needs.

import-linter (pyproject.toml) forbids the chat clients by name; this test turns the rule
round and lists what models/ and templates/ may import at all, so a Teams, Jira or any
other client package cannot slip in under a name nobody thought to forbid.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
ALLOWED = {
    # dateutil's rrule computes review meeting times (models/followup/cadence.py); the
    # scheduler (apscheduler) only ticks, from bot/.
    "models": {
        "sqlalchemy",
        "alembic",
        "english_words",
        "dateutil",
        "cachetools",
        "templates",
    },
    "templates": {"jinja2", "matplotlib", "markupsafe"},
}


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_standard_library_and_its_allowed_libraries(
    package: str,
) -> None:
    allowed = ALLOWED[package] | {package} | set(sys.stdlib_module_names) | {"__future__"}
    strays = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in _top_level_imports(path)
        if name not in allowed
    }
    assert not strays, sorted(strays)


def test_the_check_sees_a_client_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from slack_sdk import WebClient\nimport os\n")
    assert _top_level_imports(module) == {"slack_sdk", "os"}
