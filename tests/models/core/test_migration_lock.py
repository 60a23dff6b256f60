"""Several processes starting at once on an empty database all bring it up to date."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from models.core.db import make_engine
from tests.conftest import BACKENDS, PG_URL
from tests.databases import alembic_versions, empty_postgresql_schema

REPO = Path(__file__).parents[3]
PROCESSES = 4

# Each process imports everything first, says so, and migrates only when told: the
# migrations then start within a millisecond of each other, not a second apart.
MIGRATE_ON_GO = """
import sys
from models.core.db import make_engine, upgrade_schema
engine = make_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
upgrade_schema(engine)
"""


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lessonloop.db'}"
        return
    with empty_postgresql_schema(PG_URL) as url:
        yield url


def test_processes_migrating_at_once_all_succeed_and_record_one_version(
    empty_database_url: str, tmp_path: Path
) -> None:
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_ON_GO, empty_database_url],
            cwd=tmp_path,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline() == "ready\n", process.communicate()[1]
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        errors = [process.communicate(timeout=120)[1] for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert [process.returncode for process in processes] == [0] * PROCESSES, errors

    assert len(alembic_versions(empty_database_url)) == 1
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert {"postmortems", "answers", "deliveries"} <= tables
