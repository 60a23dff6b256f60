"""Databases, clocks and a running app for the tests.

Every database test runs on SQLite, and on PostgreSQL too when
LESSONLOOP_TEST_DATABASE_URL is set (each test gets its own schema there).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from models.core.clock import FrozenClock
from models.core.db import make_engine, upgrade_schema
from models.services import Services
from tests.harness import AppHarness

PG_URL = os.environ.get("LESSONLOOP_TEST_DATABASE_URL", "")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not PG_URL, reason="LESSONLOOP_TEST_DATABASE_URL is not set"),
        ],
    ),
]


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test copies the file."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "lessonloop.db"
        shutil.copy(migrated_sqlite, path)
        yield f"sqlite:///{path}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    engine = make_engine(rendered)
    upgrade_schema(engine)
    engine.dispose()
    try:
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))


@pytest.fixture
def services(engine: Engine, clock: FrozenClock) -> Services:
    return Services.build(engine, clock)


@pytest.fixture
def app(database_url: str, clock: FrozenClock) -> Iterator[AppHarness]:
    with AppHarness(database_url, clock) as harness:
        yield harness


@pytest.fixture
def sqlite_app(tmp_path: Path, migrated_sqlite: Path, clock: FrozenClock) -> Iterator[AppHarness]:
    """The app on SQLite only, for checks that do not depend on the database."""
    path = tmp_path / "app.db"
    shutil.copy(migrated_sqlite, path)
    with AppHarness(f"sqlite:///{path}", clock) as harness:
        yield harness
