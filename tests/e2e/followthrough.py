"""Helpers for driving follow-through end to end: seeding actions, ticking the scheduler,
reading the DMs the fake Slack received, and the interactions Slack sends for them."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, timedelta
from typing import Any

from bot.scheduler import tick
from handlers.slack.ids import ActionId
from handlers.slack.messages import time_of
from models.services import Services
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import AppHarness
from tests.slackdriver import Response, SlackDriver

CHANNEL = "C0OPS0001"
FACILITATOR = "U0FACIL01"


def seed_actions(
    services: Services, owners: list[str], *, today: date, channel: str = CHANNEL
) -> list[int]:
    """A closed post-mortem in `channel` with one action per entry of `owners`."""
    pm = services.postmortems.start(
        team_id=TEAM_ID,
        channel_id=channel,
        thread_ref=f"{time.time():.6f}",
        posted_at=time_of(f"{time.time():.6f}"),
        title="Release 4.2 retro",
        facilitator_id=FACILITATOR,
    )
    ids = [
        services.actions.add(
            team_id=TEAM_ID,
            postmortem_id=pm.id,
            description=f"Action {i} of {owner}",
            owner_id=owner,
            target_on=today + timedelta(days=2 + i),
            lesson_id=None,
            created_by=FACILITATOR,
            today=today,
        ).id
        for i, owner in enumerate(owners)
    ]
    return ids


def run_tick(app: AppHarness) -> None:
    """What the scheduler does every 30 seconds."""
    assert app.lessonloop is not None
    tick(app.lessonloop.courier, app.services.meetings.plan)


def dms(fake: FakeSlack, text: str = "") -> list[dict[str, Any]]:
    return [
        p
        for p in fake.calls_to("chat.postMessage")
        if str(p["channel"]).startswith("D") and text in p["text"]
    ]


def dm_count_by_channel(fake: FakeSlack, text: str = "") -> Counter[str]:
    return Counter(p["channel"] for p in dms(fake, text))


def buttons(message: dict[str, Any], action_id: ActionId) -> list[dict[str, Any]]:
    return [
        {**element, "block_id": block.get("block_id")}
        for block in message["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == action_id
    ]


def pick_date(
    driver: SlackDriver,
    element: dict[str, Any],
    picked: date,
    *,
    user: str,
    channel: str,
    message_ts: str,
) -> Response:
    """A datepicker choice: block_actions with selected_date and no value."""
    action = {
        "action_id": ActionId.UPDATE_DATE,
        "block_id": element["block_id"],
        "type": "datepicker",
        "selected_date": picked.isoformat(),
        "initial_date": element.get("initial_date"),
    }
    return interact(driver, action, user=user, channel=channel, message_ts=message_ts)


def interact(
    driver: SlackDriver,
    action: dict[str, Any],
    *,
    user: str,
    channel: str,
    message_ts: str,
    ephemeral: bool = False,
) -> Response:
    """block_actions as Slack sends it, for a message or an ephemeral message."""
    return driver.block_actions(
        action,
        user=user,
        container={
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        },
        channel={"id": channel, "name": "directmessage"},
        message={"type": "message", "ts": message_ts},
        response_url=driver.fake.response_url(f"interact-{time.monotonic_ns()}"),
    )
