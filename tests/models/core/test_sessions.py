"""Reads and writes on SQLite: a read never holds the write lock."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

import models.core.db
from models.core.clock import SystemClock
from models.core.db import (
    BUSY_TIMEOUT_MS,
    WriteTurns,
    make_engine,
    make_sessions,
    upgrade_schema,
)
from models.core.inbox import inbox_engine
from models.core.references import Platform
from models.core.tables import HandledEvent
from models.services import Services


def test_an_open_read_does_not_keep_a_writer_waiting(database_url: str) -> None:
    engine = make_engine(database_url)
    services = Services.build(engine, SystemClock())
    written = threading.Event()

    def write() -> None:
        services.inbox.store(
            platform=Platform.SLACK, event_id="EvWhileReading", team_id="T1", body={"x": 1}
        )
        written.set()

    try:
        with services.sessions() as reading:
            reading.scalar(select(func.count()).select_from(HandledEvent))
            writer = threading.Thread(target=write)
            writer.start()
            # Were the read holding the write lock, the writer would wait out busy_timeout
            # (10 s) and fail; it finishes while the read is still open.
            assert written.wait(timeout=5)
        writer.join()
    finally:
        engine.dispose()


def test_a_write_transaction_commits_and_a_failed_one_rolls_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade_schema(engine)
    services = Services.build(engine, SystemClock())
    try:
        services.inbox.store(platform=Platform.SLACK, event_id="EvKept", team_id="T1", body={})
        try:
            with services.sessions.begin() as session:
                session.add(
                    HandledEvent(
                        platform=Platform.SLACK,
                        event_id="EvLost",
                        team_id="T1",
                        received_at=func.now(),
                    )
                )
                raise RuntimeError("abandon")
        except RuntimeError:
            pass
        with services.sessions() as session:
            assert session.scalar(select(func.count()).select_from(HandledEvent)) == 0
        assert services.inbox.pending_count() == 1
    finally:
        engine.dispose()


def test_writers_take_turns_and_one_waited_on_goes_first(tmp_path: Path) -> None:
    turns = WriteTurns()
    order: list[str] = []
    background_waiting = threading.Event()

    def write(name: str, *, urgent: bool, ready: threading.Event | None = None) -> None:
        if ready is not None:
            ready.set()
        with turns.turn(urgent=urgent):
            order.append(name)

    with turns.turn(urgent=False):
        background = threading.Thread(
            target=write,
            args=("background",),
            kwargs={"urgent": False, "ready": background_waiting},
        )
        background.start()
        background_waiting.wait()
        time.sleep(0.05)  # the background writer is now waiting for its turn
        urgent = threading.Thread(target=write, args=("urgent",), kwargs={"urgent": True})
        urgent.start()
        while turns._urgent == 0:  # the urgent writer is waiting too
            time.sleep(0.001)
        order.append("first")
    background.join(timeout=5)
    urgent.join(timeout=5)
    assert order == ["first", "urgent", "background"]


def test_storing_an_event_waits_for_another_connections_write_lock(tmp_path: Path) -> None:
    """Another process's writer (here, a second engine on the inbox file, where a SQLite
    database keeps its events) holds that file's write lock: storing an event waits for it,
    polling, and goes in once it is released."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    services = Services.build(engine, SystemClock())
    other = inbox_engine(make_engine(url))
    assert other.url.database == str(tmp_path / "x-inbox.db")
    stored = threading.Event()

    def store() -> None:
        services.inbox.store(platform=Platform.SLACK, event_id="EvUrgent", team_id="T1", body={})
        stored.set()

    try:
        with other.begin() as holding:  # BEGIN IMMEDIATE: the write lock
            holding.execute(text("DELETE FROM inbound_events"))
            writer = threading.Thread(target=store)
            writer.start()
            assert not stored.wait(timeout=0.3), "went in while another writer held the lock"
        assert stored.wait(timeout=5)
        writer.join()
        assert services.inbox.pending_count() == 1
    finally:
        engine.dispose()
        other.dispose()


def test_an_urgent_pooled_write_waits_for_the_lock_and_changes_no_setting(
    tmp_path: Path,
) -> None:
    """The same through a pooled connection (PostgreSQL's path, and SQLite in memory):
    afterwards the connection has its busy timeout and checkpointing back."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine, other = make_engine(url), make_engine(url)
    upgrade_schema(engine)
    sessions = make_sessions(engine)
    written = threading.Event()

    def write() -> None:
        with sessions.begin_connection(urgent=True) as connection:
            connection.execute(text("DELETE FROM handled_events"))
        written.set()

    try:
        with other.begin() as holding:
            holding.execute(text("DELETE FROM handled_events"))
            writer = threading.Thread(target=write)
            writer.start()
            assert not written.wait(timeout=0.3), "went in while another writer held the lock"
        assert written.wait(timeout=5)
        writer.join()
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            assert driver.execute("PRAGMA busy_timeout").fetchone() == (BUSY_TIMEOUT_MS,)
            assert driver.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)
    finally:
        engine.dispose()
        other.dispose()


def test_an_urgent_write_gives_up_like_busy_timeout_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    services = Services.build(engine, SystemClock())
    other = inbox_engine(make_engine(url))
    monkeypatch.setattr(models.core.db, "BUSY_TIMEOUT_MS", 200)
    try:
        with other.begin() as holding:
            holding.execute(text("DELETE FROM inbound_events"))
            # Raised by the driver, so not wrapped by SQLAlchemy.
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                services.inbox.store(
                    platform=Platform.SLACK, event_id="EvTooLate", team_id="T1", body={}
                )
        assert services.inbox.pending_count() == 0  # and the pooled connection still works
        services.inbox.store(platform=Platform.SLACK, event_id="EvLater", team_id="T1", body={})
        assert services.inbox.pending_count() == 1
    finally:
        engine.dispose()
        other.dispose()


def test_a_single_statement_write_holds_the_lock_only_while_it_runs(tmp_path: Path) -> None:
    """The inbox file's purge: once the statement has run, another process can
    write at once, before the connection is given back."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine, other = make_engine(url), make_engine(url)
    upgrade_schema(engine)
    sessions = make_sessions(engine)
    try:
        with sessions.single_statements() as connection:
            connection.execute(text("DELETE FROM handled_events"))
            with other.connect() as elsewhere:
                driver = elsewhere.connection.driver_connection
                assert driver is not None
                driver.execute("PRAGMA busy_timeout = 0")
                driver.execute("BEGIN IMMEDIATE")  # raises "database is locked" if held
                driver.execute("ROLLBACK")
                driver.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        with sessions.begin_connection() as connection:  # an ordinary one still holds it
            connection.execute(text("DELETE FROM handled_events"))
            with other.connect() as elsewhere:
                driver = elsewhere.connection.driver_connection
                assert driver is not None
                driver.execute("PRAGMA busy_timeout = 0")
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    driver.execute("BEGIN IMMEDIATE")
                driver.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    finally:
        engine.dispose()
        other.dispose()
