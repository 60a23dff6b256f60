"""Stored Teams activities: a failure is tried again later, not lost; Slack's workers and
Teams' each take only their own platform's events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.teams.inbox import TeamsInboxWorkers
from models.core.clock import FrozenClock
from models.core.references import Platform
from models.services import Services


def test_a_failed_activity_is_tried_again_after_a_while(
    services: Services, clock: FrozenClock
) -> None:
    seen: list[str] = []

    def handle(activity: dict[str, Any]) -> None:
        seen.append(activity["id"])
        if len(seen) == 1:
            raise OSError("the connector went away")

    workers = TeamsInboxWorkers(services.inbox, handle, threads=1)
    services.inbox.store(platform=Platform.TEAMS, event_id="1", team_id="t", body={"id": "1"})
    assert workers.drain() == 1
    assert services.inbox.pending_count() == 1
    assert workers.drain() == 0  # not due yet
    clock.advance(timedelta(seconds=5))
    assert workers.drain() == 1
    assert seen == ["1", "1"]
    assert services.inbox.pending_count() == 0


def test_teams_workers_leave_slack_events_alone(services: Services) -> None:
    handled: list[dict[str, Any]] = []
    workers = TeamsInboxWorkers(services.inbox, handled.append, threads=1)
    services.inbox.store(platform=Platform.SLACK, event_id="Ev1", team_id="T1", body={"x": 1})
    services.inbox.store(platform=Platform.TEAMS, event_id="1", team_id="t", body={"id": "1"})
    assert workers.drain() == 1
    assert handled == [{"id": "1"}]
    assert services.inbox.claim(limit=10, platform=Platform.SLACK)[0][1] == {"x": 1}
