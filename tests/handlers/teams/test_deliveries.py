"""The Teams courier against the fake connector: throttling and passing failures retried,
lasting ones kept as refused, and nothing sent without a known address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.teams.connector import Connector
from handlers.teams.deliveries import NoAddress, TeamsCourier
from models.core.clock import FrozenClock
from models.core.references import Platform
from models.core.tables import Delivery, DeliveryStatus
from models.services import Services
from tests.fakeconnector import BOT_ID, TENANT_ID, FakeConnector

CHANNEL = "19:5c2e8a1f7b3d4e6a9c0b2d4f6a8c0e2b@thread.tacv2"
FAY = "29:1fay" + "0" * 60


@pytest.fixture
def fake() -> Iterator[FakeConnector]:
    with FakeConnector() as connector:
        yield connector


@pytest.fixture
def courier(services: Services, fake: FakeConnector) -> TeamsCourier:
    services.addresses.remember(
        platform=Platform.TEAMS,
        team_id=TENANT_ID,
        refs=(CHANNEL, FAY),
        service_url=fake.service_url,
        bot_ref=BOT_ID,
    )
    return TeamsCourier(services, Connector(fake))


def _start(services: Services) -> int:
    postmortem = services.postmortems.start(
        team_id=TENANT_ID, channel_id=CHANNEL, title="Checkout outage", facilitator_id=FAY
    )
    return postmortem.id


def _root(services: Services) -> Delivery:
    with services.sessions() as session:
        return session.scalars(select(Delivery).order_by(Delivery.id)).first()  # type: ignore[return-value]


def test_a_throttled_delivery_waits_as_long_as_retry_after_says_without_losing_an_attempt(
    services: Services, courier: TeamsCourier, fake: FakeConnector, clock: FrozenClock
) -> None:
    postmortem_id = _start(services)
    fake.fail_next(429, {"Retry-After": "30"})
    assert courier.deliver_due(subject_id=postmortem_id) == 0
    root = _root(services)
    assert root.status is DeliveryStatus.PENDING
    assert root.attempts == 0
    assert root.due_at == clock.now() + timedelta(seconds=30)
    assert fake.sent() == []

    clock.advance(timedelta(seconds=29))
    assert courier.deliver_due(subject_id=postmortem_id) == 0
    clock.advance(timedelta(seconds=1))
    assert courier.deliver_due(subject_id=postmortem_id) == 2  # the root, then the prompt
    assert [s.kind for s in fake.sent()] == ["send", "reply"]


@pytest.mark.parametrize("status", [412, 502, 503, 504])
def test_a_passing_failure_is_retried_later(
    services: Services, courier: TeamsCourier, fake: FakeConnector, status: int
) -> None:
    postmortem_id = _start(services)
    fake.fail_next(status)
    assert courier.deliver_due(subject_id=postmortem_id) == 0
    root = _root(services)
    assert root.status is DeliveryStatus.PENDING
    assert root.last_error == f"http {status}"
    assert root.attempts == 1


@pytest.mark.parametrize("status", [403, 404])
def test_a_lasting_refusal_is_kept_and_not_retried(
    services: Services, courier: TeamsCourier, fake: FakeConnector, status: int
) -> None:
    postmortem_id = _start(services)
    fake.fail_next(status)
    courier.deliver_due(subject_id=postmortem_id)
    assert _root(services).status is DeliveryStatus.FAILED


def test_a_conversation_nobody_has_written_from_is_not_guessed_at(
    services: Services, fake: FakeConnector
) -> None:
    courier = TeamsCourier(services, Connector(fake))
    postmortem_id = _start(services)
    assert courier.deliver_due(subject_id=postmortem_id) == 0
    assert _root(services).status is DeliveryStatus.PENDING
    assert fake.sent() == []


def test_addresses_are_kept_per_tenant(services: Services, courier: TeamsCourier) -> None:
    other_tenant = "0f4e2d1c-3b5a-4978-8695-a4b3c2d1e0f9"
    found = services.addresses.find(platform=Platform.TEAMS, team_id=other_tenant, ref=CHANNEL)
    assert found is None


def test_each_front_ends_courier_claims_only_its_own_workspaces(
    services: Services, courier: TeamsCourier
) -> None:
    teams_review = _start(services)
    slack_review = services.postmortems.start(
        team_id="T0SLACK", channel_id="C0INCIDENT", title="Slack outage", facilitator_id="U0BEA"
    ).id
    slack = services.deliveries.claim_due(platform=Platform.SLACK)
    assert {d.subject_id for d in slack} == {slack_review}
    teams = services.deliveries.claim_due(platform=Platform.TEAMS)
    assert {d.subject_id for d in teams} == {teams_review}


def test_someone_who_never_wrote_is_reached_through_the_channel_and_the_chat_is_kept(
    services: Services, courier: TeamsCourier, fake: FakeConnector
) -> None:
    newcomer = "29:1new" + "0" * 60
    first = courier.personal(TENANT_ID, newcomer, via=CHANNEL)
    again = courier.personal(TENANT_ID, newcomer, via=CHANNEL)
    assert first == again
    (created,) = fake.sent()
    assert created.kind == "create" and created.body["members"] == [{"id": newcomer}]
    assert created.body["bot"]["id"] == BOT_ID and created.body["tenantId"] == TENANT_ID
    assert first.conversation_id == created.id


def test_without_any_address_a_personal_message_waits(
    services: Services, courier: TeamsCourier
) -> None:
    with pytest.raises(NoAddress):
        courier.personal(TENANT_ID, "29:1new" + "0" * 60)
