"""The inbox: events kept before their acknowledgement, claimed with a lease, retried."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

import models.core.db
import models.core.inbox
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
from models.core.tables import InboundEvent
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


def test_what_must_not_run_twice_is_taken_by_one_worker_only(
    services: Services, clock: FrozenClock
) -> None:
    store(services, 2)
    [(first, _), (second, _)] = services.inbox.claim(limit=10)
    clock.advance(DEFAULT_LEASE * 2)  # the first worker is slow: its lease runs out
    assert [inbound_id for inbound_id, _ in services.inbox.claim(limit=10)] == [first, second]
    assert services.inbox.take(first) is True  # the second worker gets it
    assert services.inbox.take(first) is False  # so the first does not run it again
    assert services.inbox.take(second) is True
    clock.advance(DEFAULT_LEASE * 2)
    assert services.inbox.claim(limit=10) == []
    assert services.inbox.pending_count() == 0


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


# --- A SQLite file: events in a file of their own, their progress in the main database ----


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'lessonloop.db'}")
    upgrade_schema(engine)
    yield engine
    engine.dispose()


def file_engine(engine: Engine) -> Engine:
    return inbox_engine(engine)


def test_processing_never_writes_the_inbox_file(
    sqlite_file: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claims, marks, retries and counts go on while another process holds the inbox
    file's write lock: only storing an event writes there."""
    monkeypatch.setattr(models.core.db, "BUSY_TIMEOUT_MS", 200)  # a write there fails fast
    clock = FrozenClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    services = Services.build(sqlite_file, clock)
    ids = store(services, 3)
    holder = file_engine(sqlite_file)
    try:
        with holder.begin() as holding:  # BEGIN IMMEDIATE: the file's write lock
            holding.exec_driver_sql("SELECT 1")
            first, second, third = services.inbox.claim(limit=10)
            assert [body["event_id"] for _, body in (first, second, third)] == ids
            services.inbox.mark_processed(first[0])
            assert services.inbox.mark_failed(inbound_id=second[0], error="boom") is False
            assert services.inbox.pending_count() == 2
            assert services.inbox.claim(limit=10) == []  # leased, and backing off
            clock.advance(DEFAULT_LEASE * 2)
            assert [i for i, _ in services.inbox.claim(limit=10)] == [second[0], third[0]]
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                services.inbox.store(
                    platform=Platform.SLACK, event_id="EvLate", team_id="T1", body={}
                )
    finally:
        holder.dispose()


def test_events_an_earlier_version_marked_in_the_file_keep_their_state(
    sqlite_file: Engine,
) -> None:
    clock = FrozenClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    services = Services.build(sqlite_file, clock)
    now = clock.now()
    row = {"platform": Platform.SLACK, "team_id": "T1", "received_at": now, "due_at": now}
    holder = file_engine(sqlite_file)
    with holder.begin() as connection:  # as a version that marked progress in the file
        connection.execute(
            insert(InboundEvent),
            [
                row | {"event_id": "EvDone", "body": {}, "attempts": 1, "processed_at": now},
                row
                | {"event_id": "EvTried", "body": {"n": 1}, "attempts": MAX_ATTEMPTS - 1}
                | {"processed_at": None},
            ],
        )
    holder.dispose()
    assert services.inbox.pending_count() == 1
    [(tried, body)] = services.inbox.claim(limit=10)
    assert body == {"n": 1}
    # Its earlier attempts count: this was its last one.
    assert services.inbox.mark_failed(inbound_id=tried, error="boom") is True
    assert services.inbox.pending_count() == 0


def test_a_replaced_inbox_file_is_read_from_the_start(tmp_path: Path, sqlite_file: Engine) -> None:
    clock = FrozenClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    services = Services.build(sqlite_file, clock)
    store(services, 3)
    services.inbox.mark_processed(*(i for i, _ in services.inbox.claim(limit=10)))
    (tmp_path / "lessonloop-inbox.db").unlink()
    for leftover in tmp_path.glob("lessonloop-inbox.db-*"):
        leftover.unlink()
    again = Services.build(sqlite_file, clock)  # a restart: a new, empty file
    again.inbox.store(platform=Platform.SLACK, event_id="EvNew", team_id="T1", body={"new": 1})
    assert again.inbox.pending_count() == 1
    assert [body for _, body in again.inbox.claim(limit=10)] == [{"new": 1}]


def test_purge_keeps_the_mark_of_how_far_events_were_read(sqlite_file: Engine) -> None:
    clock = FrozenClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    services = Services.build(sqlite_file, clock)
    store(services, 4)
    services.inbox.mark_processed(*(i for i, _ in services.inbox.claim(limit=10)))
    clock.advance(KEEP_PROCESSED + timedelta(minutes=1))
    services.inbox.purge()
    assert services.inbox.stored_count() == 1  # the newest, which marks how far
    assert services.inbox.pending_count() == 0
    assert services.inbox.claim(limit=10) == []
    services.inbox.store(platform=Platform.SLACK, event_id="EvNext", team_id="T1", body={"n": 5})
    assert [body for _, body in services.inbox.claim(limit=10)] == [{"n": 5}]


def test_the_workers_keep_the_inbox_files_log_short(
    tmp_path: Path, sqlite_file: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Storing never checkpoints the file's write-ahead log; reading events does, every
    CHECKPOINT_EVERY events, so the log is reused instead of growing with every event."""
    monkeypatch.setattr(models.core.inbox, "CHECKPOINT_EVERY", 20)
    clock = FrozenClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    services = Services.build(sqlite_file, clock)
    log = tmp_path / "lessonloop-inbox.db-wal"
    body = {"text": "x" * 2000}
    sizes = []
    for n in range(600):
        services.inbox.store(platform=Platform.SLACK, event_id=f"Ev{n}", team_id="T1", body=body)
        services.inbox.mark_processed(*(i for i, _ in services.inbox.claim(limit=10)))
        sizes.append(log.stat().st_size)
    assert services.inbox.pending_count() == 0
    # Never checkpointed, 600 events of 2 kB (each writes several pages) make a log of
    # over 10 MB; checkpointed every 20 events, it is reused from its start.
    assert max(sizes) < 1_000_000, max(sizes)
