"""Real `lessonloop scheduler` processes sending OKR check-in DMs: one killed in the middle
of a run, and two at once on PostgreSQL. Every key result owner gets exactly one DM."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from models.core.clock import SystemClock
from models.core.db import make_engine, upgrade_schema
from models.core.privacy import Viewer
from models.core.tables import Delivery, DeliveryStatus
from models.okrs.service import KeyResultDraft, quarter_of
from models.okrs.tables import KeyResult
from models.services import Services
from tests.conftest import PG_URL
from tests.e2e.test_scheduler_processes import scheduler, stop
from tests.fakeslack import TEAM_ID, FakeSlack

pytestmark = pytest.mark.slow
ASKED = "OKR check-in"
CHANNEL = "C0OKRS001"


def owe_check_ins_now(database_url: str, owners: int) -> Services:
    """Objectives of this quarter whose key results are owned by `owners` people."""
    engine = make_engine(database_url)
    upgrade_schema(engine)
    services = Services.build(engine, SystemClock())
    services.lessons.remember_channel(
        team_id=TEAM_ID, channel_id=CHANNEL, name="ops", is_private=False
    )
    starts_on, ends_on = quarter_of(datetime.now(UTC).date())
    people = [f"U{i:08d}" for i in range(owners)]
    for first in range(0, owners, 10):
        services.okrs.create(
            viewer=Viewer(TEAM_ID, people[first], frozenset()),
            channel_id=CHANNEL,
            title=f"Objective {first}",
            owner_id=people[first],
            starts_on=starts_on,
            ends_on=ends_on,
            key_results=[
                KeyResultDraft(f"Key result of {person}", person, 10, start_value=0)
                for person in people[first : first + 10]
            ],
        )
    with services.sessions.begin() as session:  # set before the current cycle started
        session.execute(update(KeyResult).values(created_at=datetime.now(UTC) - timedelta(days=40)))
    return services


def asked_by_owner(fake: FakeSlack) -> Counter[str]:
    return Counter(p["channel"] for p in fake.calls_to("chat.postMessage") if ASKED in p["text"])


def test_scheduler_killed_mid_run_every_owner_still_gets_one_check_in(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'lessonloop.db'}"
    services = owe_check_ins_now(database_url, owners=12)
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
        assert sum(asked_by_owner(fake).values()) == 5

        # The dead process's lease runs out (not waited for here).
        with services.sessions.begin() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.status == DeliveryStatus.PENDING)
                .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
            )
        second = scheduler(database_url, fake, tmp_path)
        try:
            fake.wait_for(lambda: len(asked_by_owner(fake)) == 12, timeout=30, what="12 owners")
            fake.wait_for(lambda: services.deliveries.pending_count() == 0, what="all sent")
        finally:
            stop(second)
    assert set(asked_by_owner(fake).values()) == {1}
    services.engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="LESSONLOOP_TEST_DATABASE_URL is not set")
def test_two_schedulers_on_one_postgresql_send_each_check_in_once(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two processes on one database is a PostgreSQL deployment")
    owners = 130  # more than one claim batch (50), so the two processes interleave
    services = owe_check_ins_now(database_url, owners=owners)
    with FakeSlack() as fake:
        processes = [scheduler(database_url, fake, tmp_path) for _ in range(2)]
        try:
            fake.wait_for(
                lambda: len(asked_by_owner(fake)) == owners, timeout=60, what="every owner"
            )
            fake.wait_for(lambda: services.deliveries.pending_count() == 0, what="all sent")
        finally:
            for process in processes:
                stop(process)
    assert set(asked_by_owner(fake).values()) == {1}
    assert all(process.returncode == 0 for process in processes)
    services.engine.dispose()
