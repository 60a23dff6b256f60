"""The outbox: claimed with a lease, retried after a crash or a passing failure, never lost."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from models.core.clock import FrozenClock
from models.core.db import make_sessions
from models.core.outbox import LEASE, MAX_ATTEMPTS, SHORT_LEASE, Deliveries, enqueue
from models.core.tables import Delivery, DeliveryStatus
from models.services import Services
from tests.references import as_stored

TEAM = "T0TEAM"
SECOND = timedelta(seconds=1)


def test_claim_leases_due_deliveries_to_one_claimer(services: Services) -> None:
    first, second = owe(services, "a"), owe(services, "b")

    claimed = services.deliveries.claim_due()

    assert [(d.id, d.attempts) for d in claimed] == [(first, 1), (second, 1)]
    assert services.deliveries.claim_due() == []


def test_delivery_unsent_when_its_lease_runs_out_is_claimed_again(
    services: Services, clock: FrozenClock
) -> None:
    key = owe(services, "a")
    services.deliveries.claim_due()  # the sender dies here, before sending

    clock.advance(LEASE - SECOND)
    assert services.deliveries.claim_due() == []
    clock.advance(2 * SECOND)
    assert [(d.id, d.attempts) for d in services.deliveries.claim_due()] == [(key, 2)]


def test_sent_delivery_is_never_claimed_again(services: Services, clock: FrozenClock) -> None:
    key = owe(services, "a")
    services.deliveries.claim_due()

    services.deliveries.mark_sent(delivery_id=key)
    clock.advance(LEASE * 10)

    assert services.deliveries.claim_due() == []
    assert status(services, key) == (DeliveryStatus.SENT, None)
    assert services.deliveries.pending_count() == 0


def test_permanent_failure_is_never_retried(services: Services, clock: FrozenClock) -> None:
    key = owe(services, "a")
    services.deliveries.claim_due()

    services.deliveries.mark_failed(delivery_id=key, error="user_not_found", permanent=True)
    clock.advance(timedelta(days=2))

    assert services.deliveries.claim_due() == []
    assert status(services, key) == (DeliveryStatus.FAILED, "user_not_found")


def test_passing_failure_is_retried_after_a_growing_back_off(
    services: Services, clock: FrozenClock
) -> None:
    key = owe(services, "a")
    services.deliveries.claim_due()
    services.deliveries.mark_failed(delivery_id=key, error="ratelimited", permanent=False)

    assert services.deliveries.claim_due() == []
    clock.advance(timedelta(minutes=2) - SECOND)
    assert services.deliveries.claim_due() == []
    clock.advance(SECOND)
    assert [d.attempts for d in services.deliveries.claim_due()] == [2]

    services.deliveries.mark_failed(delivery_id=key, error="ratelimited", permanent=False)
    clock.advance(timedelta(minutes=4) - SECOND)
    assert services.deliveries.claim_due() == []
    clock.advance(SECOND)
    assert [d.attempts for d in services.deliveries.claim_due()] == [3]
    assert status(services, key) == (DeliveryStatus.PENDING, "ratelimited")


def test_delivery_fails_for_good_after_max_attempts(services: Services, clock: FrozenClock) -> None:
    key = owe(services, "a")
    claims = 0
    while services.deliveries.claim_due() and claims <= MAX_ATTEMPTS:
        claims += 1
        services.deliveries.mark_failed(delivery_id=key, error="timeout", permanent=False)
        clock.advance(timedelta(hours=2))

    assert claims == MAX_ATTEMPTS
    assert status(services, key) == (DeliveryStatus.FAILED, "timeout")


def test_delivery_is_not_claimed_before_it_is_due(services: Services, clock: FrozenClock) -> None:
    key = owe(services, "later", due_in=timedelta(hours=1))

    assert services.deliveries.claim_due() == []
    clock.advance(timedelta(hours=1))
    assert [d.id for d in services.deliveries.claim_due()] == [key]


def test_same_dedupe_key_is_owed_once(services: Services) -> None:
    first = owe(services, "summary", recipient="C0FIRST")
    again = owe(services, "summary", recipient="C0AGAIN")

    assert again == first
    assert [d.recipient_id for d in services.deliveries.claim_due()] == ["C0FIRST"]


def test_claim_can_be_limited_to_one_subject(services: Services) -> None:
    owe(services, "a", subject_id=1)
    ours = owe(services, "b", subject_id=2)
    owe(services, "c", subject_id=3)

    assert [d.id for d in services.deliveries.claim_due(subject_id=2)] == [ours]
    assert services.deliveries.pending_count() == 3
    assert len(services.deliveries.claim_due()) == 2


def test_claim_takes_no_more_than_the_limit_longest_due_first(services: Services) -> None:
    due_minutes_ago = [0, 40, 10, 30, 20]
    ids = {
        ago: owe(services, f"due-{ago}", due_in=timedelta(minutes=-ago)) for ago in due_minutes_ago
    }

    first = services.deliveries.claim_due(limit=2)
    second = services.deliveries.claim_due(limit=2)

    assert [d.id for d in first] == sorted([ids[40], ids[30]])
    assert [d.id for d in second] == sorted([ids[20], ids[10]])


def test_concurrent_claimers_never_share_a_delivery(services: Services, clock: FrozenClock) -> None:
    with services.sessions.begin() as session:
        for i in range(200):
            enqueue(
                session,
                team_id=as_stored(services, TEAM),
                kind="test",
                recipient_id=as_stored(services, "U0BEA"),
                dedupe_key=f"bulk:{i}",
                due_at=clock.now(),
                now=clock.now(),
            )
    start = threading.Barrier(2)

    def claim_until_empty() -> list[int]:
        deliveries = Deliveries(make_sessions(services.engine), clock)
        start.wait(timeout=10)
        got: list[int] = []
        while batch := deliveries.claim_due(limit=10):
            got += [d.id for d in batch]
        return got

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(claim_until_empty) for _ in range(2)]
        left, right = (future.result(timeout=60) for future in futures)

    assert set(left).isdisjoint(right)
    assert len(left) + len(right) == 200
    assert set(left) | set(right) == set(all_ids(services))


def test_a_failure_with_retry_after_is_due_again_then_not_later(
    services: Services, clock: FrozenClock
) -> None:
    key = owe(services, "a")
    services.deliveries.claim_due()
    services.deliveries.mark_failed(
        delivery_id=key, error="429", permanent=False, retry_after=7 * SECOND
    )

    clock.advance(6 * SECOND)
    assert services.deliveries.claim_due() == []
    clock.advance(SECOND)
    assert [d.attempts for d in services.deliveries.claim_due()] == [2]


def test_kinds_with_a_short_lease_are_claimed_again_sooner(
    services: Services, clock: FrozenClock
) -> None:
    short = Deliveries(services.sessions, clock, short_lease_kinds={"test"})
    key = owe(services, "a")
    short.claim_due()  # the sender dies here

    clock.advance(SHORT_LEASE - SECOND)
    assert short.claim_due() == []
    clock.advance(2 * SECOND)
    assert [(d.id, d.attempts) for d in short.claim_due()] == [(key, 2)]


def owe(
    services: Services,
    key: str,
    *,
    due_in: timedelta = timedelta(0),
    subject_id: int | None = None,
    recipient: str = "U0BEA",
) -> int:
    """Enqueue in its own transaction, as a use case would; the row's id."""
    with services.sessions.begin() as session:
        enqueue(
            session,
            team_id=as_stored(services, TEAM),
            kind="test",
            recipient_id=as_stored(services, recipient),
            subject_id=subject_id,
            dedupe_key=key,
            due_at=services.clock.now() + due_in,
            now=services.clock.now(),
        )
        return session.scalars(select(Delivery.id).where(Delivery.dedupe_key == key)).one()


def status(services: Services, delivery_id: int) -> tuple[DeliveryStatus, str | None]:
    with services.sessions() as session:
        row = session.get_one(Delivery, delivery_id)
        return row.status, row.last_error


def all_ids(services: Services) -> list[int]:
    with services.sessions() as session:
        return list(session.scalars(select(Delivery.id)))
