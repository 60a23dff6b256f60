"""Reads and writes on SQLite: a read never holds the write lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from models.core.clock import SystemClock
from models.core.db import WriteTurns, make_engine, upgrade_schema
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
