"""The app manifest, the registered listeners, the templates and the migrations agree."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from handlers.slack.ids import ActionId, Command, Event
from models.core.base import Base
from models.lessons.search_schema import include_name, include_object
from tests.harness import AppHarness

MANIFEST = json.loads((Path(__file__).parents[3] / "manifest.json").read_text())
EVENT_SCOPES = {"message.channels": "channels:history", "message.groups": "groups:history"}


def test_manifest_commands_are_exactly_the_registered_commands() -> None:
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert declared == {str(c) for c in Command}


def test_manifest_events_are_exactly_the_registered_event_types() -> None:
    declared = {
        name.split(".")[0] for name in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    }
    assert declared == {str(e) for e in Event}


def test_every_event_subscription_has_its_scope() -> None:
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        assert EVENT_SCOPES.get(event, event) in scopes or "." not in event


def test_every_request_url_points_at_slack_events() -> None:
    urls = [c["url"] for c in MANIFEST["features"]["slash_commands"]]
    urls += [
        MANIFEST["settings"]["event_subscriptions"]["request_url"],
        MANIFEST["settings"]["interactivity"]["request_url"],
    ]
    assert all(url.endswith("/slack/events") for url in urls)


def test_every_command_in_the_manifest_is_handled(sqlite_app: AppHarness) -> None:
    for command in MANIFEST["features"]["slash_commands"]:
        response = sqlite_app.driver.command(
            "help", user="U0CONTRACT", channel="C0CONTRACT", command=command["command"]
        )
        assert response.status == 200, command


def test_an_unregistered_command_is_not_handled(sqlite_app: AppHarness) -> None:
    """The check above can fail: Bolt answers 404 to what nothing listens for."""
    response = sqlite_app.driver.command(
        "help", user="U0CONTRACT", channel="C0CONTRACT", command="/not-ours"
    )
    assert response.status == 404


@pytest.mark.parametrize("action_id", list(ActionId))
def test_every_action_id_is_registered(sqlite_app: AppHarness, action_id: ActionId) -> None:
    response = sqlite_app.driver.click(
        action_id, "0:impact", user="U0CONTRACT", channel="C0CONTRACT", message_ts="1.0"
    )
    assert response.status == 200


def test_every_manifest_event_is_handled(sqlite_app: AppHarness) -> None:
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        response = sqlite_app.driver.event(
            {
                "type": event.split(".")[0],
                "channel": "C0CONTRACT",
                "user": "U0CONTRACT",
                "text": "hello",
                "ts": f"{time.time():.6f}",
            }
        )
        assert response.status == 200, event


def test_migrations_create_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences: list[Any] = compare_metadata(
            MigrationContext.configure(
                connection, opts={"include_name": include_name, "include_object": include_object}
            ),
            Base.metadata,
        )
    assert differences == []
