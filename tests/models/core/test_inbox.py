"""The inbox: events kept before their acknowledgement, claimed with a lease, retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from models.core.clock import FrozenClock
from models.core.db import make_engine, make_sessions, upgrade_schema
from models.core.inbox import (
    DEFAULT_LEASE,
    INBOX_FILE_FORMAT,
    KEEP_PROCESSED,
    MAX_ATTEMPTS,
    Inbox,
    inbox_engine,
)
from models.core.references import Platform
from models.services import Services


def store(services: Services, n: int) -> list[str]:
    ids = [f"Ev{i:04d}" for i in range(n)]
    for event_id in ids:
        services.inbox.store(
            platform=Platform.SLACK,
            event_id=event_id,
            team_id="T0TEAM",
            body={"event_id": event_id},
        )
    return ids


def claimed_ids(services: Services, limit: int = 50) -> list[str]:
    return [body["event_id"] for _, body in services.inbox.claim(limit=limit)]


def test_a_redelivered_event_is_stored_once(services: Services) -> None:
    assert (
        services.inbox.store(
            platform=Platform.SLACK, event_id="EvA", team_id="T0TEAM", body={"n": 1}
        )
        is True
    )
    assert (
        services.inbox.store(
            platform=Platform.SLACK, event_id="EvA", team_id="T0TEAM", body={"n": 2}
        )
        is False
    )
    assert [body for _, body in services.inbox.claim(limit=10)] == [{"n": 1}]


def test_events_are_claimed_oldest_first_and_held_by_their_lease(
    services: Services, clock: FrozenClock
) -> None:
    ids = store(services, 5)
    assert claimed_ids(services, limit=3) == ids[:3]
    assert claimed_ids(services) == ids[3:]
    assert claimed_ids(services) == []  # all leased
    clock.advance(DEFAULT_LEASE + timedelta(seconds=1))  # the claimer died
    assert claimed_ids(services) == ids


def test_a_processed_event_is_not_claimed_again(services: Services, clock: FrozenClock) -> None:
    store(services, 2)
    first, second = services.inbox.claim(limit=10)
    services.inbox.mark_processed(first[0])
    clock.advance(DEFAULT_LEASE * 2)
    assert [inbound_id for inbound_id, _ in services.inbox.claim(limit=10)] == [second[0]]
    assert services.inbox.pending_count() == 1


def test_a_failing_event_backs_off_then_is_given_up_on(
    services: Services, clock: FrozenClock
) -> None:
    store(services, 1)
    gave_up = False
    attempts = 0
    while not gave_up:
        batch = services.inbox.claim(limit=1)
        if not batch:
            clock.advance(timedelta(minutes=10))
            continue
        attempts += 1
        gave_up = services.inbox.mark_failed(inbound_id=batch[0][0], error="boom")
        assert services.inbox.claim(limit=1) == []  # not due again at once
    assert attempts == MAX_ATTEMPTS
    assert services.inbox.pending_count() == 0


def test_purge_forgets_only_what_is_long_done(services: Services, clock: FrozenClock) -> None:
    store(services, 2)
    done, _waiting = services.inbox.claim(limit=10)
    services.inbox.mark_processed(done[0])
    clock.advance(KEEP_PROCESSED + timedelta(minutes=1))
    services.inbox.purge()
    # The unprocessed event stays however old it is; the processed one is gone, so a
    # (very late) redelivery of it would be stored again.
    assert services.inbox.pending_count() == 1
    assert (
        services.inbox.store(platform=Platform.SLACK, event_id="Ev0000", team_id="T0TEAM", body={})
        is True
    )
    assert (
        services.inbox.store(platform=Platform.SLACK, event_id="Ev0001", team_id="T0TEAM", body={})
        is False
    )


def test_a_sqlite_file_keeps_its_events_in_a_file_of_its_own(tmp_path: Path) -> None:
    """Events stored by an earlier version in the main database's table, still
    unprocessed, are carried over to the inbox file when it is opened; processed ones are
    left to be purged; opening again (another process) copies nothing twice."""
    url = f"sqlite:///{tmp_path / 'lessonloop.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    clock = FrozenClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    old = Inbox(make_sessions(engine), clock)  # as an earlier version stored them
    for event_id in ("EvWaiting1", "EvWaiting2", "EvDone"):
        old.store(platform=Platform.SLACK, event_id=event_id, team_id="T1", body={"id": event_id})
    done = [i for i, body in old.claim(limit=10) if body["id"] == "EvDone"]
    old.mark_processed(*done)
    services = Services.build(engine, clock)
    again = Services.build(engine, clock)  # a second process starting beside the first
    assert (tmp_path / "lessonloop-inbox.db").exists()
    assert again.inbox.pending_count() == 2
    clock.advance(DEFAULT_LEASE * 2)  # the earlier claim (of the old process) runs out
    assert sorted(body["id"] for _, body in services.inbox.claim(limit=10)) == [
        "EvWaiting1",
        "EvWaiting2",
    ]
    assert old.pending_count() == 0  # nothing left behind to be processed twice
    assert not services.inbox.store(
        platform=Platform.SLACK, event_id="EvWaiting1", team_id="T1", body={}
    )
    engine.dispose()


def test_an_inbox_file_of_an_older_format_keeps_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lessonloop.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    clock = FrozenClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    Services.build(engine, clock).inbox.store(
        platform=Platform.SLACK, event_id="EvKept", team_id="T1", body={"kept": True}
    )
    inbox = inbox_engine(engine)
    with inbox.begin() as connection:  # as a file written by a version before this one
        connection.exec_driver_sql(f"PRAGMA user_version = {INBOX_FILE_FORMAT - 1}")
    inbox.dispose()
    services = Services.build(engine, clock)
    assert [body for _, body in services.inbox.claim(limit=10)] == [{"kept": True}]
    inbox = inbox_engine(engine)
    with inbox.connect() as connection:
        found = connection.exec_driver_sql("PRAGMA user_version").scalar()
        tables = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")
        assert found == INBOX_FILE_FORMAT
        assert [name for (name,) in tables] == ["inbound_events"]
    inbox.dispose()
    engine.dispose()


def test_postgresql_and_memory_databases_keep_events_in_themselves() -> None:
    memory = make_engine("sqlite://")
    assert inbox_engine(memory) is memory
    postgres = make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    assert inbox_engine(postgres) is postgres  # no connection is made
    memory.dispose()
    postgres.dispose()
