"""Messages the app owes people, kept in the database until Slack has them.

A change that owes a message enqueues it in its own transaction. A sender claims due
deliveries with a lease (an UPDATE that only one claimer can win; SKIP LOCKED on
PostgreSQL so parallel senders do not queue behind each other), sends, then marks them
sent. A sender that dies after claiming leaves the lease to run out, and the delivery is
claimed again: a crash can repeat a message, never lose it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    Select,
    String,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import SQLCoreOperations

from models.core.base import UtcDateTime
from models.core.clock import Clock
from models.core.references import Platform
from models.core.tables import ChatAddress, Delivery, DeliveryStatus
from models.core.views import DeliveryView

LEASE = timedelta(minutes=5)
# For kinds whose sender is quick and idempotent on retry (Jira's): after a crash, what
# was in flight is claimed again within a minute.
SHORT_LEASE = timedelta(seconds=45)
MAX_ATTEMPTS = 8

# A person's Home tab (what needs them, from every feature), built afresh when sent.
HOME_DELIVERY = "home.publish"


class SendFailed(Exception):
    """Raised by a sender of any outside system: `permanent` (trying again will not help),
    or to be retried, after `retry_after` when the system said when (HTTP Retry-After)."""

    def __init__(
        self, error: str, *, permanent: bool = False, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(error)
        self.error, self.permanent, self.retry_after = error, permanent, retry_after


def enqueue(
    session: Session,
    *,
    team_id: str,
    kind: str,
    recipient_id: str,
    dedupe_key: str,
    due_at: datetime,
    now: datetime,
    subject_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Owe a message once: a second enqueue with the same key is a no-op."""
    if session.scalar(select(Delivery.id).where(Delivery.dedupe_key == dedupe_key)):
        return
    session.add(
        Delivery(
            team_id=team_id,
            kind=kind,
            recipient_id=recipient_id,
            subject_id=subject_id,
            payload=payload or {},
            dedupe_key=dedupe_key,
            status=DeliveryStatus.PENDING,
            due_at=due_at,
            attempts=0,
            created_at=now,
        )
    )


def owe_latest(
    session: Session,
    *,
    team_id: str,
    kind: str,
    recipient_id: str,
    topic: str,
    now: datetime,
    subject_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> int:
    """Owe a delivery that shows the latest state of `topic` (a Home tab, a listing edited
    in place), built when it is sent. One that is pending and not yet claimed will show
    this change too, so it is not owed twice: returns that one's id, or the new one's.
    A claimed one may have read the state before this change, so a new one is owed."""
    # References may be as wide as any platform's ids; a digest keeps the key short.
    digest = hashlib.sha256(f"{team_id}\0{topic}".encode()).hexdigest()[:32]
    prefix = f"{kind}:{digest}:"
    waiting = session.scalar(
        select(Delivery.id)
        .where(
            Delivery.dedupe_key.startswith(prefix, autoescape=True),
            Delivery.status == DeliveryStatus.PENDING,
            or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        )
        .limit(1)
    )
    if waiting is not None:
        return waiting
    row = Delivery(
        team_id=team_id,
        kind=kind,
        recipient_id=recipient_id,
        subject_id=subject_id,
        payload=payload or {},
        dedupe_key=prefix + uuid.uuid4().hex,
        status=DeliveryStatus.PENDING,
        due_at=now,
        attempts=0,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def owe_home(
    session: Session, *, team_id: str, user_id: str, now: datetime, subject_id: int | None = None
) -> int:
    """Owe `user_id` a fresh Home tab; returns the delivery's id."""
    return owe_latest(
        session,
        team_id=team_id,
        kind=HOME_DELIVERY,
        recipient_id=user_id,
        topic=user_id,
        now=now,
        subject_id=subject_id,
    )


def owed(
    *,
    team_id: SQLCoreOperations[str],
    kind: str,
    recipient_id: SQLCoreOperations[str],
    dedupe_key: SQLCoreOperations[str],
    now: datetime,
    subject_id: int | None = None,
) -> tuple[SQLCoreOperations[Any], ...]:
    """The columns of a delivery row, for `owe_selected`, in its column order."""
    return (
        team_id,
        literal(kind, String),
        recipient_id,
        literal(subject_id, Integer),
        literal({}, JSON),
        dedupe_key,
        literal(DeliveryStatus.PENDING.value, String),
        literal(now, UtcDateTime()),
        literal(0, Integer),
        literal(now, UtcDateTime()),
    )


def owe_selected(session: Session, rows: Select[Any]) -> int:
    """Owe one delivery per row of `rows` (built with `owed`) in one INSERT ... SELECT; rows
    whose dedupe_key exists already are skipped. Returns how many were new."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(Delivery)
        .from_select(
            [
                "team_id",
                "kind",
                "recipient_id",
                "subject_id",
                "payload",
                "dedupe_key",
                "status",
                "due_at",
                "attempts",
                "created_at",
            ],
            rows,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    result = session.execute(statement, execution_options={"preserve_rowcount": True})
    return max(int(result.rowcount), 0)  # type: ignore[attr-defined]


class Deliveries:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        short_lease_kinds: Collection[str] = frozenset(),
    ) -> None:
        self._sessions, self._clock = sessions, clock
        self._short = frozenset(short_lease_kinds)

    def claim_due(
        self,
        *,
        limit: int = 50,
        lease: timedelta = LEASE,
        subject_id: int | None = None,
        ids: Collection[int] | None = None,
        platform: Platform | None = None,
    ) -> list[DeliveryView]:
        """Claim due deliveries: all of them, those about `subject_id`, or those of `ids`
        (what one use case owed, to be sent at once); with `platform`, only those of its
        workspaces (a workspace is Teams' when a Teams activity came from it, see
        models.core.addresses), so each front end's courier sends its own."""
        now = self._clock.now()
        claimable = (
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.due_at <= now,
            or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        )
        with self._sessions.begin() as session:
            due = select(Delivery.id).where(*claimable).order_by(Delivery.due_at, Delivery.id)
            if subject_id is not None:
                due = due.where(Delivery.subject_id == subject_id)
            if ids is not None:
                due = due.where(Delivery.id.in_(ids))
            if platform is not None:
                teams = select(ChatAddress.team_id).where(ChatAddress.platform == Platform.TEAMS)
                due = due.where(
                    Delivery.team_id.in_(teams)
                    if platform is Platform.TEAMS
                    else Delivery.team_id.not_in(teams)
                )
            due = due.limit(limit)
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            # Two statements, not `UPDATE ... WHERE id IN (SELECT ... LIMIT n)`: PostgreSQL
            # may run that subquery once per candidate row, each run skipping the rows just
            # locked, so a single claim could take the whole backlog.
            ids = session.scalars(due).all()
            if not ids:
                return []
            rows = session.scalars(
                update(Delivery)
                .where(Delivery.id.in_(ids), *claimable)
                .values(
                    claimed_until=case(
                        (Delivery.kind.in_(self._short), now + min(lease, SHORT_LEASE)),
                        else_=now + lease,
                    )
                    if self._short
                    else now + lease,
                    attempts=Delivery.attempts + 1,
                )
                .returning(Delivery),
                execution_options={"synchronize_session": False},
            ).all()
            return sorted((DeliveryView.of(row) for row in rows), key=lambda d: d.id)

    def mark_sent(self, *, delivery_id: int) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(status=DeliveryStatus.SENT, sent_at=self._clock.now(), claimed_until=None)
            )

    def mark_failed(
        self,
        *,
        delivery_id: int,
        error: str,
        permanent: bool,
        retry_after: timedelta | None = None,
    ) -> None:
        """A permanent failure (the user left, blocked DMs) is kept for reports, not retried;
        a passing one is retried with growing back-off until MAX_ATTEMPTS, or after
        `retry_after` when the other side said when."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = session.get_one(Delivery, delivery_id)
            row.last_error = error[:500]
            row.claimed_until = None
            if permanent or row.attempts >= MAX_ATTEMPTS:
                row.status = DeliveryStatus.FAILED
            elif retry_after is not None:
                row.due_at = now + retry_after
            else:
                row.due_at = now + timedelta(minutes=2 ** min(row.attempts, 6))

    def defer(self, *, delivery_id: int, until: datetime) -> None:
        """Not now (say, night-time where the recipient is): due again at `until`, and the
        claim does not count as an attempt."""
        with self._sessions.begin() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(due_at=until, claimed_until=None, attempts=Delivery.attempts - 1)
            )

    def record_progress(self, *, delivery_id: int, progress: dict[str, Any]) -> None:
        """Note how far a delivery in several parts got, so a retry goes on from there."""
        with self._sessions.begin() as session:
            row = session.get_one(Delivery, delivery_id)
            row.payload = {**row.payload, **progress}

    def refusal(self, *, subject_id: int, kind: str) -> str | None:
        """The error of a delivery of `kind` about `subject_id` that failed for good."""
        with self._sessions() as session:
            return session.scalar(
                select(Delivery.last_error).where(
                    Delivery.subject_id == subject_id,
                    Delivery.kind == kind,
                    Delivery.status == DeliveryStatus.FAILED,
                )
            )

    def refused(self, *, delivery_id: int) -> str | None:
        """The error of this delivery if it failed for good, else None."""
        with self._sessions() as session:
            return session.scalar(
                select(Delivery.last_error).where(
                    Delivery.id == delivery_id, Delivery.status == DeliveryStatus.FAILED
                )
            )

    def pending_count(self) -> int:
        with self._sessions() as session:
            return (
                session.scalar(
                    select(func.count()).where(Delivery.status == DeliveryStatus.PENDING)
                )
                or 0
            )
