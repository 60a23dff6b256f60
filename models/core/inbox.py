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
from typing import Any

from sqlalchemy import Insert, Table, delete, func, or_, select, true, update

from models.core.clock import Clock
from models.core.db import Sessions, insert_ignoring_conflicts
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


class Inbox:
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        *,
        lease: timedelta = DEFAULT_LEASE,
        also_forget: Sequence[Callable[[datetime], None]] = (),
    ) -> None:
        """`also_forget`: what features keep for as long as events (each is given the
        time before which to forget), purged with them."""
        self._sessions, self._clock, self._lease = sessions, clock, lease
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
        with self._sessions.begin_connection(urgent=True) as connection:
            statement = self._insert.get(connection.dialect.name)
            if statement is None:
                table = InboundEvent.__table__
                assert isinstance(table, Table)
                statement = insert_ignoring_conflicts(table, connection.dialect.name)
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
        with self._sessions() as reading:
            if reading.scalars(due).first() is None:
                return []
        with self._sessions.begin() as session:
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = session.scalars(due).all()
            if not ids:
                return []
            rows = session.execute(
                update(InboundEvent)
                .where(InboundEvent.id.in_(ids), *claimable)
                .values(claimed_until=now + self._lease, attempts=InboundEvent.attempts + 1)
                .returning(InboundEvent.id, InboundEvent.body),
                execution_options={"synchronize_session": False},
            ).all()
            return sorted((row.id, row.body) for row in rows)

    def mark_processed(self, *, inbound_id: int) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(InboundEvent)
                .where(InboundEvent.id == inbound_id)
                .values(processed_at=self._clock.now(), claimed_until=None)
            )

    def mark_failed(self, *, inbound_id: int, error: str) -> bool:
        """Try again later with growing back-off; True when the event is given up on."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = session.get_one(InboundEvent, inbound_id)
            row.last_error, row.claimed_until = error[:500], None
            if row.attempts >= MAX_ATTEMPTS:
                row.processed_at = now
                return True
            row.due_at = now + timedelta(seconds=2 ** min(row.attempts, 8))
            return False

    def pending_count(self) -> int:
        with self._sessions() as session:
            unprocessed = InboundEvent.processed_at.is_(None)
            return session.scalar(select(func.count()).where(unprocessed)) or 0

    def purge(self) -> None:
        """Forget what is long done: processed events, applied event ids, and whatever the
        features keep as long (see `also_forget`)."""
        cutoff = self._clock.now() - KEEP_PROCESSED
        with self._sessions.begin() as session:
            session.execute(delete(InboundEvent).where(InboundEvent.processed_at < cutoff))
            session.execute(delete(HandledEvent).where(HandledEvent.received_at < cutoff))
        for forget in self._also_forget:
            forget(cutoff)
