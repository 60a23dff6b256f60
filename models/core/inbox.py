"""Events from outside, stored before they are acknowledged and processed after.

Storing is one INSERT keyed by (platform, event id), so a platform's redeliveries of an
event it already has a 200 for are dropped here. Processing claims rows with a lease, like
the outbox: a process that dies mid-way leaves its claim to run out and another (or
itself, restarted) takes the event again. Applying an event twice is prevented where it
takes effect (the use cases record the event id in the same transaction as the change), so
a repeat after a crash only repeats work, never its effect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Insert, Table, delete, func, inspect, or_, select, true, update
from sqlalchemy.schema import CreateIndex, CreateTable

from models.core.clock import Clock
from models.core.db import Sessions, insert_ignoring_conflicts, make_engine, make_sessions
from models.core.references import Platform
from models.core.tables import HandledEvent, InboundEvent

# Processing an event takes milliseconds; a lease that runs out early only repeats work
# (effects are de-duplicated by event id), while a short one brings a crashed process's
# events back soon.
DEFAULT_LEASE = timedelta(seconds=10)
MAX_ATTEMPTS = 6
# Slack stops redelivering after about five minutes, Teams sooner; a day is a wide margin
# for dedupe.
KEEP_PROCESSED = timedelta(days=1)
# The inbox file's layout (SQLite's user_version): raise it with any change to
# InboundEvent, and opening an older file carries its rows over (see _open_inbox_file).
INBOX_FILE_FORMAT = 1


def inbox_engine(engine: Engine) -> Engine:
    """Where events are stored. On PostgreSQL, and for an in-memory SQLite database, the
    database itself. For a SQLite file, a file of its own beside it (`lessonloop.db` keeps
    its events in `lessonloop-inbox.db`): SQLite has one write lock per file, and the
    workers' transactions (a reply, its lesson, what it owes) would otherwise hold it while
    the web process waits to store the next event before Slack's 3 seconds run out. Apart,
    storing waits only for the workers' short claims and marks on the inbox file.

    Opening the file creates its one table when missing, and first moves any events still
    unprocessed in the main database's table there (left by a version that stored them
    there); every process opening it does the same, and each step is safe to repeat."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return engine
    if "memory" in str(url.query.get("mode", "")):
        return engine
    path = Path(url.database)
    inbox_url = url.set(database=str(path.with_name(f"{path.stem}-inbox{path.suffix}")))
    inbox = make_engine(inbox_url.render_as_string(hide_password=False))
    _open_inbox_file(inbox)
    _carry_over(engine, inbox)
    return inbox


def inbox_sessions(engine: Engine) -> Sessions:
    """Sessions on `inbox_engine(engine)`, or on `engine` itself when they are the same."""
    inbox = inbox_engine(engine)
    return make_sessions(inbox)


def _open_inbox_file(inbox: Engine) -> None:
    """Create the table, or bring an older file's rows into this version's table: the
    file is a queue whose rows live a day, so its layout is this version's model, not a
    chain of migrations. One IMMEDIATE transaction: processes starting together take
    turns, and the second finds the work done."""
    table = InboundEvent.__table__
    assert isinstance(table, Table)
    with inbox.begin() as connection:
        found = connection.exec_driver_sql("PRAGMA user_version").scalar()
        if found == INBOX_FILE_FORMAT:
            return
        old = f"{table.name}_format_{found}"
        present = inspect(connection).has_table(table.name)
        if present:
            connection.exec_driver_sql(f"ALTER TABLE {table.name} RENAME TO {old}")
            for index in table.indexes:
                if index.name:
                    connection.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
        connection.execute(CreateTable(table, if_not_exists=True))
        for index in table.indexes:
            connection.execute(CreateIndex(index, if_not_exists=True))
        if present:
            kept = {column["name"] for column in inspect(connection).get_columns(old)}
            common = ", ".join(c.name for c in table.columns if c.name in kept)
            connection.exec_driver_sql(
                f"INSERT INTO {table.name} ({common}) SELECT {common} FROM {old}"
            )
            connection.exec_driver_sql(f"DROP TABLE {old}")
        connection.exec_driver_sql(f"PRAGMA user_version = {INBOX_FILE_FORMAT}")


def _carry_over(main: Engine, inbox: Engine) -> None:
    """Events an earlier version stored in the main database and did not process: copied
    (a repeat is dropped by its unique id), then removed there. A crash in between only
    copies them again."""
    table = InboundEvent.__table__
    assert isinstance(table, Table)
    with main.connect() as reading:
        if not inspect(reading).has_table(table.name):
            return  # not migrated yet: nothing can be there
        pending = InboundEvent.processed_at.is_(None)
        rows = [dict(row._mapping) for row in reading.execute(select(table).where(pending))]
    if not rows:
        return
    for row in rows:
        del row["id"]
    with inbox.begin() as connection:
        connection.execute(insert_ignoring_conflicts(table, "sqlite"), rows)
    with main.begin() as connection:
        connection.execute(delete(table).where(pending))


def _table() -> Table:
    table = InboundEvent.__table__
    assert isinstance(table, Table)
    return table


class Inbox:
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        *,
        events: Sessions | None = None,
        lease: timedelta = DEFAULT_LEASE,
        also_forget: Sequence[Callable[[datetime], None]] = (),
    ) -> None:
        """`sessions`: the main database (where applied event ids are kept); `events`:
        where events are stored (see `inbox_engine`), the main database when not given.
        `also_forget`: what features keep for as long as events (each is given the time
        before which to forget), purged with them."""
        self._sessions, self._clock, self._lease = sessions, clock, lease
        self._events = events if events is not None else sessions
        self._urgent_insert = self._events.urgent_insert(_table())  # SQLite files only
        self._also_forget = tuple(also_forget)
        self._insert: dict[str, Insert] = {}

    def store(
        self, *, platform: Platform, event_id: str, team_id: str, body: dict[str, Any]
    ) -> bool:
        """Keep an event until it is processed; False when it was stored before."""
        now = self._clock.now()
        values = {
            "platform": platform,
            "event_id": event_id,
            "team_id": team_id,
            "body": body,
            "received_at": now,
            "due_at": now,
            "attempts": 0,
        }
        if self._urgent_insert is not None:
            return self._urgent_insert(values)
        with self._events.begin_connection(urgent=True) as connection:
            statement = self._insert.get(connection.dialect.name)
            if statement is None:
                statement = insert_ignoring_conflicts(_table(), connection.dialect.name)
                self._insert[connection.dialect.name] = statement
            return connection.execute(statement, values).first() is not None

    def claim(
        self, *, limit: int, platform: Platform | None = None
    ) -> list[tuple[int, dict[str, Any]]]:
        """Up to `limit` due events (of `platform`, when given), oldest first, leased to
        the caller."""
        now = self._clock.now()
        claimable = (
            InboundEvent.platform == platform if platform is not None else true(),
            InboundEvent.processed_at.is_(None),
            InboundEvent.due_at <= now,
            or_(InboundEvent.claimed_until.is_(None), InboundEvent.claimed_until < now),
        )
        due = select(InboundEvent.id).where(*claimable).order_by(InboundEvent.id).limit(limit)
        # Looked for first without writing: a worker that finds nothing (most wake-ups but
        # one, when several workers are woken for one event) never takes SQLite's write
        # lock, which the web process needs to store the next event.
        with self._events() as reading:
            if reading.scalars(due).first() is None:
                return []
        claim = (
            update(InboundEvent)
            .values(claimed_until=now + self._lease, attempts=InboundEvent.attempts + 1)
            .returning(InboundEvent.id, InboundEvent.body)
        )
        if self._urgent_insert is not None:
            # A SQLite file: one statement, which picks and leases at once under the
            # write lock, held only while SQLite runs it (Sessions.single_statements).
            with self._events.single_statements() as connection:
                rows = connection.execute(
                    claim.where(InboundEvent.id.in_(due.scalar_subquery()))
                ).all()
            return sorted((row.id, row.body) for row in rows)
        with self._events.begin() as session:
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = session.scalars(due).all()
            if not ids:
                return []
            rows = session.execute(
                claim.where(InboundEvent.id.in_(ids), *claimable),
                execution_options={"synchronize_session": False},
            ).all()
            return sorted((row.id, row.body) for row in rows)

    def mark_processed(self, *inbound_ids: int) -> None:
        """Done with these events: one write for a batch (the workers mark a whole batch
        at once, so the inbox's write lock is taken as seldom as possible)."""
        if not inbound_ids:
            return
        with self._events.single_statements() as connection:
            connection.execute(
                update(InboundEvent)
                .where(InboundEvent.id.in_(inbound_ids))
                .values(processed_at=self._clock.now(), claimed_until=None)
            )

    def mark_failed(self, *, inbound_id: int, error: str) -> bool:
        """Try again later with growing back-off; True when the event is given up on."""
        now = self._clock.now()
        with self._events.begin() as session:
            row = session.get_one(InboundEvent, inbound_id)
            row.last_error, row.claimed_until = error[:500], None
            if row.attempts >= MAX_ATTEMPTS:
                row.processed_at = now
                return True
            row.due_at = now + timedelta(seconds=2 ** min(row.attempts, 8))
            return False

    def stored_count(self) -> int:
        """Every event kept, processed or not (until purged)."""
        with self._events() as session:
            return session.scalar(select(func.count()).select_from(InboundEvent)) or 0

    def pending_count(self) -> int:
        with self._events() as session:
            unprocessed = InboundEvent.processed_at.is_(None)
            return session.scalar(select(func.count()).where(unprocessed)) or 0

    def purge(self) -> None:
        """Forget what is long done: processed events, applied event ids, and whatever the
        features keep as long (see `also_forget`)."""
        cutoff = self._clock.now() - KEEP_PROCESSED
        with self._events.begin() as session:
            session.execute(delete(InboundEvent).where(InboundEvent.processed_at < cutoff))
        with self._sessions.begin() as session:
            session.execute(delete(HandledEvent).where(HandledEvent.received_at < cutoff))
        for forget in self._also_forget:
            forget(cutoff)
