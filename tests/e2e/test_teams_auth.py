"""Only the Bot Connector gets in: a forged, expired or misdirected token is refused before
anything is stored; a good one is stored once, however often it is delivered."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from models.core.clock import FrozenClock
from tests.teamsdriver import Person, TeamsHarness

ANN = Person("29:1ann0000000000000000000000000000000000000000000000000000000000000000", "Ann")


@pytest.fixture
def teams(tmp_path: Path, migrated_sqlite: Path, clock: FrozenClock) -> Iterator[TeamsHarness]:
    path = tmp_path / "app.db"
    shutil.copy(migrated_sqlite, path)
    with TeamsHarness(f"sqlite:///{path}", clock) as harness:
        yield harness


def _stored(teams: TeamsHarness) -> int:
    assert teams.services is not None
    return teams.services.inbox.stored_count()


def forged(teams: TeamsHarness) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return teams.fake.sign(key=other)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda t: forged(t), id="forged-signature"),
        # Beyond the SDK's five minutes of leeway for clock skew.
        pytest.param(lambda t: t.fake.sign(expires_in=-600), id="expired"),
        pytest.param(lambda t: t.fake.sign(audience="someone-else"), id="other-app"),
        pytest.param(
            lambda t: t.fake.sign(service_url="http://127.0.0.1:9/elsewhere/"),
            id="other-service-url",
        ),
        pytest.param(lambda t: "", id="no-token"),
        pytest.param(lambda t: "not.a.jwt", id="garbage"),
    ],
)
def test_an_activity_without_a_good_token_is_refused_and_not_stored(
    teams: TeamsHarness, token: object
) -> None:
    activity = teams.message("postmortem start Checkout outage", by=ANN)
    status = teams.post(activity, token=token(teams))  # type: ignore[operator]
    assert status == 401
    assert _stored(teams) == 0
    assert teams.fake.sent() == []


def test_a_redelivered_activity_is_stored_once_and_answered_once(teams: TeamsHarness) -> None:
    activity = teams.message("hello there", by=ANN)
    teams.send(activity)
    teams.send(activity)
    answers = teams.fake.wait_for(1)
    assert _stored(teams) == 1
    assert [a.kind for a in answers] == ["reply"]
    assert "postmortem start" in answers[0].card_text()


def test_a_single_tenant_app_refuses_activities_from_another_tenant(teams: TeamsHarness) -> None:
    activity = teams.message("postmortem start Checkout outage", by=ANN)
    other = "0f4e2d1c-3b5a-4978-8695-a4b3c2d1e0f9"
    activity["channelData"]["tenant"]["id"] = other
    activity["conversation"]["tenantId"] = other
    assert teams.post(activity) == 403
    assert _stored(teams) == 0


def test_channel_posts_not_for_the_app_are_answered_and_dropped(teams: TeamsHarness) -> None:
    post = teams.message("lunch anyone?", by=ANN)
    post["entities"], post["text"] = [], "<p>lunch anyone?</p>"  # no mention of the app
    teams.send(post)
    assert _stored(teams) == 0
    # Addressed to the app, the same words get an answer.
    teams.send(teams.message("lunch anyone?", by=ANN))
    (answer,) = teams.fake.wait_for(1)
    assert "postmortem start" in answer.card_text()
