"""Two `serve --no-scheduler` and one `scheduler` started at once on an empty PostgreSQL
database, as a deployment with replicas does: all three come up."""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.databases import alembic_versions, empty_postgresql_schema
from tests.e2e.test_serve import _free_port, lessonloop
from tests.fakeslack import FakeSlack
from tests.harness import SIGNING_SECRET

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="LESSONLOOP_TEST_DATABASE_URL is not set"),
]


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    with empty_postgresql_schema(PG_URL) as url:
        yield url


def healthy(process: subprocess.Popen[str], port: int) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"exited {process.returncode}: {process.communicate()[1]}")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def test_two_servers_and_a_scheduler_started_together_on_an_empty_database_all_come_up(
    empty_database_url: str, tmp_path: Path
) -> None:
    with FakeSlack() as fake:
        env = {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": empty_database_url,
            "HOST": "127.0.0.1",
        }
        ports = [_free_port(), _free_port()]
        servers = [
            lessonloop("serve", "--no-scheduler", cwd=tmp_path, env={**env, "PORT": str(port)})
            for port in ports
        ]
        scheduler = lessonloop("scheduler", cwd=tmp_path, env=env)
        processes = [*servers, scheduler]
        try:
            for server, port in zip(servers, ports, strict=True):
                fake.wait_for(partial(healthy, server, port), timeout=60, what=f"/healthz :{port}")
            # Each process checks the token only once its migration step is behind it.
            fake.wait_for(lambda: len(fake.calls_to("auth.test")) == 3, timeout=60, what="3 starts")
            assert scheduler.poll() is None, scheduler.communicate()[1]
            assert all(healthy(server, port) for server, port in zip(servers, ports, strict=True))
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
                process.communicate(timeout=30)
    assert [process.returncode for process in processes] == [0, 0, 0]
    assert len(alembic_versions(empty_database_url)) == 1
