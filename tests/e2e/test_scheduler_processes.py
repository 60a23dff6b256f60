"""Real `lessonloop scheduler` processes on one database: a process killed in the middle of
a reminder run, and two schedulers at once on PostgreSQL. Every owner gets exactly one DM."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from models.core.clock import SystemClock
from models.core.db import make_engine, upgrade_schema
from models.core.tables import Delivery, DeliveryStatus
from models.followup.cadence import parse_cadence
from models.services import Services
from tests.conftest import PG_URL
from tests.e2e.followthrough import CHANNEL, FACILITATOR, seed_actions
from tests.e2e.test_serve import lessonloop
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import SIGNING_SECRET

pytestmark = pytest.mark.slow
REMINDER = "Your team's review is on"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def owe_reminders_now(database_url: str, owners: int) -> Services:
    """A weekly review three days from now, so its 7-day reminders are due at once."""
    engine = make_engine(database_url)
    upgrade_schema(engine)
    services = Services.build(engine, SystemClock())
    today = datetime.now(UTC).date()
    weekday = WEEKDAYS[(today + timedelta(days=3)).weekday()]
    services.meetings.set_schedule(
        team_id=TEAM_ID,
        channel_id=CHANNEL,
        cadence=parse_cadence(
            f"weekly {weekday} 10:00 UTC lead 6", default_timezone="UTC", today=today
        ),
        by_user=FACILITATOR,
    )
    seed_actions(services, [f"U{i:08d}" for i in range(owners)], today=today)
    return services


def scheduler(database_url: str, fake: FakeSlack, cwd: Path) -> subprocess.Popen[str]:
    return lessonloop(
        "scheduler",
        cwd=cwd,
        env={
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": database_url,
        },
    )


def reminders_by_owner(fake: FakeSlack) -> Counter[str]:
    return Counter(p["channel"] for p in fake.calls_to("chat.postMessage") if REMINDER in p["text"])


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
    process.communicate(timeout=20)


def test_scheduler_killed_mid_run_every_owner_still_gets_one_reminder(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'lessonloop.db'}"
    services = owe_reminders_now(database_url, owners=12)
    with FakeSlack() as fake:
        fake.hold("chat.postMessage", after=5)
        first = scheduler(database_url, fake, tmp_path)
        try:
            fake.wait_for(lambda: fake.waiting("chat.postMessage"), timeout=30, what="6th DM")
            first.send_signal(signal.SIGKILL)  # killed while Slack holds the sixth DM
            first.communicate(timeout=10)
        finally:
            stop(first)
        fake.drop_held("chat.postMessage")
        assert sum(reminders_by_owner(fake).values()) == 5

        # Five minutes later the dead process's lease has run out (not waited for here).
        with services.sessions.begin() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.status == DeliveryStatus.PENDING)
                .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
            )
        second = scheduler(database_url, fake, tmp_path)
        try:
            fake.wait_for(lambda: len(reminders_by_owner(fake)) == 12, timeout=30, what="12 owners")
            fake.wait_for(lambda: services.deliveries.pending_count() == 0, what="all sent")
        finally:
            stop(second)
    assert set(reminders_by_owner(fake).values()) == {1}
    services.engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="LESSONLOOP_TEST_DATABASE_URL is not set")
def test_two_schedulers_on_one_postgresql_send_each_reminder_once(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two processes on one database is a PostgreSQL deployment")
    owners = 130  # more than one claim batch (50), so the two processes interleave
    services = owe_reminders_now(database_url, owners=owners)
    with FakeSlack() as fake:
        processes = [scheduler(database_url, fake, tmp_path) for _ in range(2)]
        try:
            fake.wait_for(
                lambda: len(reminders_by_owner(fake)) == owners, timeout=60, what="every owner"
            )
            fake.wait_for(lambda: services.deliveries.pending_count() == 0, what="all sent")
        finally:
            for process in processes:
                stop(process)
    assert set(reminders_by_owner(fake).values()) == {1}
    assert all(process.returncode == 0 for process in processes)
    services.engine.dispose()
