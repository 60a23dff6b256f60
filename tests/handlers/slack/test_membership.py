"""The membership cache: Slack is asked once per person per two minutes, never trusted longer,
and a failed lookup is not remembered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.slack.membership import CACHE_FOR, Membership
from models.core.clock import FrozenClock


class FakeSlack:
    """users.conversations answering from a dict, counting the calls."""

    def __init__(self) -> None:
        self.channels: dict[str, list[str]] = {}
        self.calls = 0
        self.failing = False

    def users_conversations(self, *, user: str, **_: Any) -> dict[str, Any]:
        self.calls += 1
        if self.failing:
            raise SlackApiError("ratelimited", {"ok": False, "error": "ratelimited"})
        return {"channels": [{"id": c} for c in self.channels.get(user, [])]}


def membership() -> tuple[Membership, FrozenClock, FakeSlack, WebClient]:
    clock = FrozenClock(datetime(2026, 11, 20, 10, tzinfo=UTC))
    slack = FakeSlack()
    return Membership(clock), clock, slack, cast(WebClient, slack)


def test_answer_is_reused_until_it_expires() -> None:
    cache, clock, slack, client = membership()
    slack.channels["U0BEA"] = ["G0SECRET"]

    assert cache.private_channels(client, team_id="T0", user_id="U0BEA") == {"G0SECRET"}
    slack.channels["U0BEA"] = []  # left the channel: not seen until the answer expires
    clock.advance(CACHE_FOR - timedelta(seconds=1))
    assert cache.private_channels(client, team_id="T0", user_id="U0BEA") == {"G0SECRET"}
    assert slack.calls == 1

    clock.advance(timedelta(seconds=1))
    assert cache.private_channels(client, team_id="T0", user_id="U0BEA") == frozenset()
    assert slack.calls == 2


def test_people_and_teams_are_cached_apart() -> None:
    cache, _, slack, client = membership()
    slack.channels = {"U0BEA": ["G0A"], "U0CAI": ["G0B"]}

    assert cache.private_channels(client, team_id="T0", user_id="U0BEA") == {"G0A"}
    assert cache.private_channels(client, team_id="T0", user_id="U0CAI") == {"G0B"}
    assert cache.private_channels(client, team_id="T1", user_id="U0BEA") == {"G0A"}
    assert slack.calls == 3


def test_failed_lookup_means_no_private_channels_and_is_asked_again() -> None:
    cache, _, slack, client = membership()
    slack.channels["U0BEA"] = ["G0SECRET"]
    slack.failing = True

    assert cache.private_channels(client, team_id="T0", user_id="U0BEA") == frozenset()
    slack.failing = False
    assert cache.private_channels(client, team_id="T0", user_id="U0BEA") == {"G0SECRET"}
    assert slack.calls == 2
