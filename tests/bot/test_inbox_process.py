"""The inbox worker process beside the web process: woken by a stored event, started again
after it dies, stopped when the web process closes its end."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.inbox_process import InboxProcess
from models.core.clock import SystemClock
from models.core.db import make_engine, upgrade_schema
from models.core.references import Platform
from models.services import Services
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import SIGNING_SECRET

pytestmark = pytest.mark.slow
USER = "U0HOME001"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def home_opened(number: int) -> dict[str, Any]:
    """A stored Events API envelope: the Home tab opened, which publishes the tab."""
    return {
        "type": "event_callback",
        "team_id": TEAM_ID,
        "api_app_id": "A0LESSON",
        "event_id": f"EvHome{number:04d}",
        "event_time": 1700000000 + number,
        "event": {"type": "app_home_opened", "user": USER, "tab": "home"},
    }


def test_stored_events_are_processed_by_the_worker_process_which_is_restarted_when_it_dies(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    database_url = f"sqlite:///{tmp_path / 'lessonloop.db'}"
    engine = make_engine(database_url)
    upgrade_schema(engine)
    inbox = Services.build(engine, SystemClock()).inbox
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": database_url,
        },
        env_file=None,
    )

    def store(number: int) -> None:
        body = home_opened(number)
        inbox.store(platform=Platform.SLACK, event_id=body["event_id"], team_id=TEAM_ID, body=body)

    workers = InboxProcess(settings, with_scheduler=False)
    store(1)  # stored before the worker process starts: taken up when it does
    workers.start()
    try:
        fake.wait_for(lambda: len(fake.calls_to("views.publish")) >= 1, timeout=60, what="1st")
        first = workers.pid
        assert first is not None and first != os.getpid()

        store(2)
        workers.wake()
        fake.wait_for(lambda: len(fake.calls_to("views.publish")) >= 2, timeout=30, what="2nd")

        os.kill(first, signal.SIGKILL)
        fake.wait_for(lambda: workers.pid not in (None, first), timeout=30, what="a restart")
        store(3)
        workers.wake()
        fake.wait_for(lambda: len(fake.calls_to("views.publish")) >= 3, timeout=60, what="3rd")
        fake.wait_for(lambda: inbox.pending_count() == 0, timeout=30, what="all processed")
    finally:
        workers.stop()
    second = workers.pid
    assert second is not None
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)  # stopped and reaped
    # It stops at once; it used to be reported as hung (and sent SIGTERM) now and then.
    assert "did not stop" not in caplog.text
    engine.dispose()
