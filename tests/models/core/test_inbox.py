"""The inbox: events kept before their acknowledgement, claimed with a lease, retried."""

from __future__ import annotations

from datetime import timedelta

from models.core.clock import FrozenClock
from models.core.inbox import DEFAULT_LEASE, KEEP_PROCESSED, MAX_ATTEMPTS
from models.core.references import Platform
from models.services import Services


def store(services: Services, n: int) -> list[str]:
    ids = [f"Ev{i:04d}" for i in range(n)]
    for event_id in ids:
        services.inbox.store(
            platform=Platform.SLACK, event_id=event_id, team_id="T1", body={"event_id": event_id}
        )
    return ids


def claimed_ids(services: Services, limit: int = 50) -> list[str]:
    return [body["event_id"] for _, body in services.inbox.claim(limit=limit)]


def test_a_redelivered_event_is_stored_once(services: Services) -> None:
    assert (
        services.inbox.store(platform=Platform.SLACK, event_id="EvA", team_id="T1", body={"n": 1})
        is True
    )
    assert (
        services.inbox.store(platform=Platform.SLACK, event_id="EvA", team_id="T1", body={"n": 2})
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
    services.inbox.mark_processed(inbound_id=first[0])
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
    services.inbox.mark_processed(inbound_id=done[0])
    clock.advance(KEEP_PROCESSED + timedelta(minutes=1))
    services.inbox.purge()
    # The unprocessed event stays however old it is; the processed one is gone, so a
    # (very late) redelivery of it would be stored again.
    assert services.inbox.pending_count() == 1
    assert (
        services.inbox.store(platform=Platform.SLACK, event_id="Ev0000", team_id="T1", body={})
        is True
    )
    assert (
        services.inbox.store(platform=Platform.SLACK, event_id="Ev0001", team_id="T1", body={})
        is False
    )
