"""A start on a current schema runs no migration; a schema behind is still brought up."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from models.core.db import alembic_config, make_engine, script_heads, upgrade_schema
from tests.conftest import BACKENDS, PG_URL
from tests.databases import alembic_versions, empty_postgresql_schema
from tests.statements import statements

REPO = Path(__file__).parents[3]


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lessonloop.db'}"
        return
    with empty_postgresql_schema(PG_URL) as url:
        yield url


def head() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def test_heads_read_from_the_revision_files_are_alembics_heads() -> None:
    assert script_heads() == frozenset(head())


def test_a_current_schema_runs_no_migration(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert upgrade_schema(engine) is True
        with statements(engine) as seen:
            assert upgrade_schema(engine) is False
    finally:
        engine.dispose()
    assert alembic_versions(empty_database_url) == head()
    # Reading the version is all it does: no DDL, no Alembic bookkeeping.
    assert not [s for s in seen if s.lstrip().upper().startswith(("CREATE", "ALTER", "UPDATE"))]


def test_a_start_on_a_current_schema_does_not_import_alembic(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade_schema(engine)
    engine.dispose()
    check = (
        "import sys\n"
        "from models.core.db import make_engine, upgrade_schema\n"
        "assert upgrade_schema(make_engine(sys.argv[1])) is False\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check, empty_database_url],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_schema_behind_is_migrated_to_the_head(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as connection:
            config = alembic_config(empty_database_url)
            config.attributes["connection"] = connection
            command.upgrade(config, "0006")
        assert alembic_versions(empty_database_url) == ["0006"]

        assert upgrade_schema(engine) is True
    finally:
        engine.dispose()
    assert alembic_versions(empty_database_url) == head()
