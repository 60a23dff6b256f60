"""Events from outside, stored before they are acknowledged and processed after.

Storing is one INSERT keyed by (platform, event id), so a platform's redeliveries of an
event it already has a 200 for are dropped here. Processing claims rows with a lease, like
the outbox: a process that dies mid-way leaves its claim to run out and another (or
itself, restarted) takes the event again. Applying an event twice is prevented where it
takes effect (the use cases record the event id in the same transaction as the change), so
a repeat after a crash only repeats work, never its effect.

A SQLite database keeps its events in a file of its own (`inbox_engine`), which only
storing writes: the workers read it, and keep each event's lease, marks and retries in the
main database (InboundProgress). So an event waiting to be stored never waits for a
worker's write, and a worker (at idle CPU priority) never holds a lock the web process
needs. PostgreSQL keeps events, and their progress, in its own table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Insert,
    Table,
    Update,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, CreateTable

from models.core.clock import Clock
from models.core.db import Sessions, insert_ignoring_conflicts, make_engine, make_sessions
from models.core.references import Platform
from models.core.tables import HandledEvent, InboundEvent, InboundProgress

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
# Events stored apart (a SQLite file): how many new events a claim reads into the main
# database per query, how many events go by between two checkpoints of the file's
# write-ahead log, and how many of its rows one purge statement deletes.
READ_BATCH = 500
CHECKPOINT_EVERY = 500
PURGE_BATCH = 200

log = logging.getLogger(__name__)


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
        before which to forget), purged with them.

        Where events are stored apart (a SQLite file), only storing writes there: how far
        each event has got is kept in the main database (InboundProgress), so the workers
        never take the write lock that the next event's store needs. Elsewhere each event's
        row keeps its own progress."""
        self._sessions, self._clock, self._lease = sessions, clock, lease
        self._apart = events is not None and events.engine is not sessions.engine
        self._events = events if events is not None and self._apart else sessions
        self._state: type[InboundProgress] | type[InboundEvent] = (
            InboundProgress if self._apart else InboundEvent
        )
        self._key = InboundProgress.inbound_id if self._apart else InboundEvent.id
        self._urgent_insert = self._events.urgent_insert(_table())  # SQLite files only
        self._also_forget = tuple(also_forget)
        self._insert: dict[str, Insert] = {}
        self._read_since_checkpoint = 0

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
        state, key = self._state, self._key
        claimable = (
            state.platform == platform if platform is not None else true(),
            state.processed_at.is_(None),
            state.due_at <= now,
            or_(state.claimed_until.is_(None), state.claimed_until < now),
        )
        due = select(key).where(*claimable).order_by(key).limit(limit)
        # Looked for first without writing: a worker that finds nothing (most wake-ups but
        # one, when several workers are woken for one event) takes no write lock.
        with self._sessions() as reading:
            if reading.scalars(due).first() is None and not self._unread(reading):
                return []
        lease = (
            update(state)
            .values(claimed_until=now + self._lease, attempts=state.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        with self._sessions.begin() as session:
            read = self._read_new(session) if self._apart else 0
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            if ids := list(session.scalars(due)):
                ids = list(session.scalars(lease.where(key.in_(ids), *claimable).returning(key)))
        if read:
            self._checkpoint_now_and_then(read)
        return self._bodies(ids)

    def mark_processed(self, *inbound_ids: int) -> None:
        """Done with these events: one write for a batch."""
        if not inbound_ids:
            return
        with self._sessions.begin_connection() as connection:
            connection.execute(self._processed_now(self._key.in_(inbound_ids)))

    def take(self, inbound_id: int) -> bool:
        """Mark a claimed event processed before it is worked on, for work that must not
        run twice: True for the one caller that gets it, False when it was taken or marked
        already (another worker claimed it after this one's lease ran out)."""
        unprocessed = self._state.processed_at.is_(None)
        with self._sessions.begin_connection() as connection:
            taken = connection.execute(
                self._processed_now(self._key == inbound_id, unprocessed).returning(self._key)
            ).first()
        return taken is not None

    def _processed_now(self, *where: ColumnElement[bool]) -> Update:
        """The write that marks the events `where` selects processed, and their lease over."""
        return (
            update(self._state)
            .where(*where)
            .values(processed_at=self._clock.now(), claimed_until=None)
        )

    def mark_failed(self, *, inbound_id: int, error: str) -> bool:
        """Try again later with growing back-off; True when the event is given up on."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = (
                session.get_one(InboundProgress, inbound_id)
                if self._apart
                else session.get_one(InboundEvent, inbound_id)
            )
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
        """Events stored and not yet processed (nor given up on)."""
        with self._sessions() as session:
            unprocessed = self._state.processed_at.is_(None)
            waiting = session.scalar(select(func.count()).where(unprocessed)) or 0
            if not self._apart:
                return waiting
            read = _read_up_to(session)
        with self._events() as events:
            if _newest_stored(events) < read:
                waiting = read = 0  # a replaced file, read from the start by the next claim
            unread = events.scalar(
                select(func.count()).where(InboundEvent.id > read, _NOT_MARKED_IN_FILE)
            )
        return waiting + (unread or 0)

    def purge(self) -> None:
        """Forget what is long done: processed events, applied event ids, and whatever the
        features keep as long (see `also_forget`)."""
        cutoff = self._clock.now() - KEEP_PROCESSED
        if self._apart:
            self._purge_apart(cutoff)
        else:
            with self._events.begin() as session:
                session.execute(delete(InboundEvent).where(InboundEvent.processed_at < cutoff))
        with self._sessions.begin() as session:
            session.execute(delete(HandledEvent).where(HandledEvent.received_at < cutoff))
        for forget in self._also_forget:
            forget(cutoff)

    # --- Events stored apart: progress in the main database ---------------------------------

    def _unread(self, session: Session) -> bool:
        """Whether the file holds events the workers have not read yet (or was replaced)."""
        if not self._apart:
            return False
        read = _read_up_to(session)
        with self._events() as events:
            newest = _newest_stored(events)
        return newest != read

    def _read_new(self, session: Session) -> int:
        """In the claim's transaction (the main database's write lock keeps claimers in
        turn): a progress row for each event stored since the last read, with the state an
        earlier version may have left in the file. Returns how many were read.

        SQLite gives a new row the highest id so far plus one, under the write lock, so a
        file's ids become visible in order and "above the highest id read" is exactly what
        is new. A file whose highest id is below that is not the file those ids came from
        (it was removed or replaced): its events are read from the start, and progress about
        the other file's is dropped (effects are recorded by event id, so an event seen
        again changes nothing)."""
        read = _read_up_to(session)
        total = 0
        with self._events() as events:
            newest = _newest_stored(events)
            if newest < read:
                log.warning(
                    "the inbox file %s holds fewer events than were read from it: it was "
                    "replaced; reading it from the start",
                    self._events.engine.url.database,
                )
                session.execute(delete(InboundProgress))
                read = 0
            while True:
                rows = events.execute(
                    select(
                        InboundEvent.id,
                        InboundEvent.platform,
                        InboundEvent.due_at,
                        InboundEvent.attempts,
                        InboundEvent.last_error,
                        InboundEvent.processed_at,
                    )
                    .where(InboundEvent.id > read)
                    .order_by(InboundEvent.id)
                    .limit(READ_BATCH)
                ).all()
                if not rows:
                    return total
                session.execute(
                    insert(InboundProgress),
                    [
                        {
                            "inbound_id": row.id,
                            "platform": row.platform,
                            "due_at": row.due_at,
                            "attempts": row.attempts,
                            "last_error": row.last_error,
                            "processed_at": row.processed_at,
                        }
                        for row in rows
                    ],
                )
                total += len(rows)
                read = rows[-1].id

    def _checkpoint_now_and_then(self, read: int) -> None:
        """Storing never copies the file's write-ahead log back into it (a commit that does
        waits for an fsync, and Slack waits on that commit), and the workers no longer
        write there: so every `CHECKPOINT_EVERY` events read, a worker does. A passive
        checkpoint takes no lock that storing needs."""
        self._read_since_checkpoint += read
        if self._read_since_checkpoint < CHECKPOINT_EVERY:
            return
        self._read_since_checkpoint = 0
        with self._events.single_statements() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _bodies(self, ids: list[int]) -> list[tuple[int, dict[str, Any]]]:
        if not ids:
            return []
        with self._events() as events:
            rows = events.execute(
                select(InboundEvent.id, InboundEvent.body).where(InboundEvent.id.in_(ids))
            )
            found: dict[int, dict[str, Any]] = {row.id: row.body for row in rows}
        gone = [inbound_id for inbound_id in ids if inbound_id not in found]
        if gone:  # only when the file was replaced while they were being claimed
            log.warning("inbox events %s are no longer in the inbox file; skipped", gone)
            self.mark_processed(*gone)
        return sorted(found.items())

    def _purge_apart(self, cutoff: datetime) -> None:
        """The file's rows first, then their progress: a crash in between leaves progress
        rows that the next purge removes. The highest id read stays, as the mark of how far
        the workers have read (and so that SQLite never hands that id out again)."""
        with self._sessions() as session:
            read = _read_up_to(session)
            done = list(
                session.scalars(
                    select(InboundProgress.inbound_id).where(
                        InboundProgress.processed_at < cutoff,
                        InboundProgress.inbound_id < read,
                    )
                )
            )
        for start in range(0, len(done), PURGE_BATCH):
            chunk = done[start : start + PURGE_BATCH]
            with self._events.single_statements() as connection:
                connection.execute(delete(InboundEvent).where(InboundEvent.id.in_(chunk)))
            with self._sessions.begin() as session:
                session.execute(
                    delete(InboundProgress).where(InboundProgress.inbound_id.in_(chunk))
                )


# Rows an earlier version marked done in the file itself (see InboundProgress).
_NOT_MARKED_IN_FILE = InboundEvent.processed_at.is_(None)


def _read_up_to(session: Session) -> int:
    """The highest id the workers have read from the inbox file (the main database)."""
    return session.scalar(select(func.max(InboundProgress.inbound_id))) or 0


def _newest_stored(events: Session) -> int:
    """The highest id in the inbox file."""
    return events.scalar(select(func.max(InboundEvent.id))) or 0
