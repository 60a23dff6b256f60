"""Jira through the running app: `/postmortem jira` over signed Slack requests, Jira's
webhook at POST /jira/webhook on the same server, the start-up check, and a refusal
shown in the channel."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from models.actions.tables import ActionStatus
from models.core.clock import FrozenClock
from models.jira.tables import JiraIssue
from tests.fakejira import EMAIL, TOKEN, FakeJiraServer, sign
from tests.fakeslack import TEAM_ID
from tests.harness import AppHarness

CHANNEL, BEA, FACILITATOR = "C0OPS0001", "U0BEA0001", "U0FACIL01"
SECRET = "jira-webhook-secret"


@pytest.fixture
def jira_server() -> Iterator[FakeJiraServer]:
    with FakeJiraServer() as server:
        yield server


@pytest.fixture
def jira_app(
    database_url: str, clock: FrozenClock, jira_server: FakeJiraServer
) -> Iterator[AppHarness]:
    environ = {
        "JIRA_URL": jira_server.url,
        "JIRA_EMAIL": EMAIL,
        "JIRA_API_TOKEN": TOKEN,
        "JIRA_PROJECT": "OPS",
        "JIRA_WEBHOOK_SECRET": SECRET,
    }
    with AppHarness(database_url, clock, environ) as harness:
        yield harness


def command(app: AppHarness, text: str, *, user: str = BEA) -> dict[str, Any]:
    before = len(app.fake.calls_to("response_url"))
    assert app.driver.command(text, user=user, channel=CHANNEL).status == 200
    return app.fake.wait_for(lambda: app.fake.calls_to("response_url")[before:], what="the answer")[
        0
    ]


def add_action(app: AppHarness) -> int:
    review = app.services.postmortems.start(
        team_id=TEAM_ID, channel_id=CHANNEL, title="Outage", facilitator_id=FACILITATOR
    )
    return int(
        app.services.actions.add(
            team_id=review.team_id,
            postmortem_id=review.id,
            description="Alert on queue depth",
            owner_id=BEA,
            target_on=date(2026, 12, 1),
            lesson_id=None,
            created_by=FACILITATOR,
            today=date(2026, 11, 20),
        ).id
    )


def post_webhook(app: AppHarness, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        f"{app.driver.app_url}/jira/webhook", data=body, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def issue_key(app: AppHarness, action_id: int) -> str | None:
    with app.services.sessions() as session:
        return session.scalar(select(JiraIssue.issue_key).where(JiraIssue.record_id == action_id))


def test_a_channel_chooses_its_project_and_back_fills_what_it_has(
    jira_app: AppHarness, jira_server: FakeJiraServer
) -> None:
    shown = command(jira_app, "jira")
    assert "*OPS* (the default)" in shown["text"]
    assert command(jira_app, "jira off")["response_type"] == "in_channel"
    action_id = add_action(jira_app)
    assert jira_app.services.actions.get(team_id=TEAM_ID, action_id=action_id) is not None
    jira_app.lessonloop.courier.deliver_due()
    assert jira_server.fake.issues == {}  # off: nothing owed

    refused = command(jira_app, "jira <!channel>")
    assert refused["response_type"] == "ephemeral"
    assert "project key" in refused["text"] and "<!channel>" not in refused["text"]
    assert jira_app.services.jira.channel(team_id=TEAM_ID, channel_id=CHANNEL).project is None
    chosen = command(jira_app, "jira web")
    assert "*WEB*" in chosen["text"] and chosen["response_type"] == "in_channel"
    jira_app.fake.emails[BEA] = "bea@acme.test"
    jira_server.fake.users["bea@acme.test"] = "acc-bea"
    assert command(jira_app, "jira sync")["text"].startswith("1 open")
    jira_app.lessonloop.courier.deliver_due()
    key = issue_key(jira_app, action_id)
    assert key is not None and key.startswith("WEB-")
    assert jira_server.fake.issues[key]["fields"]["assignee"] == {"accountId": "acc-bea"}
    assert jira_app.fake.calls_to("users.info")[-1]["user"] == BEA
    assert command(jira_app, "jira sync")["text"].startswith("Everything open")


def test_the_webhook_is_verified_before_it_is_read_and_then_applied(
    jira_app: AppHarness, jira_server: FakeJiraServer
) -> None:
    action_id = add_action(jira_app)
    jira_app.lessonloop.courier.deliver_due()
    key = issue_key(jira_app, action_id)
    assert key is not None
    body = json.dumps(jira_server.fake.change(key, by="acc-dan", category="done")).encode()

    assert post_webhook(jira_app, body, {"Content-Type": "application/json"}) == 401
    forged = {"X-Hub-Signature": sign(body, "guessed"), "Content-Type": "application/json"}
    assert post_webhook(jira_app, body, forged) == 401
    assert post_webhook(jira_app, b"not json", {"X-Hub-Signature": "sha256=00"}) == 401
    action = jira_app.services.actions.get(team_id=TEAM_ID, action_id=action_id)
    assert action is not None and action.status is ActionStatus.OPEN

    signed = {"X-Hub-Signature": sign(body, SECRET), "Content-Type": "application/json"}
    assert post_webhook(jira_app, body, signed) == 200
    action = jira_app.services.actions.get(team_id=TEAM_ID, action_id=action_id)
    assert action is not None and action.status is ActionStatus.DONE


def test_a_refusal_is_shown_in_the_channel_once_escaped(
    jira_app: AppHarness, jira_server: FakeJiraServer
) -> None:
    command(jira_app, "jira GONE")
    add_action(jira_app)
    add_action(jira_app)
    jira_app.lessonloop.courier.deliver_due()
    told = [
        p
        for p in jira_app.fake.calls_to("chat.postMessage")
        if p.get("channel") == CHANNEL and "Jira refused" in str(p.get("text"))
    ]
    assert len(told) == 1
    assert "*GONE*" in told[0]["text"] and "valid project is required" in told[0]["text"]


def test_a_wrong_credential_is_one_clear_message_and_lessonloop_runs_on(
    database_url: str,
    clock: FrozenClock,
    jira_server: FakeJiraServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    environ = {"JIRA_URL": jira_server.url, "JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": "wrong"}
    with caplog.at_level(logging.ERROR), AppHarness(database_url, clock, environ) as app:
        shown = command(app, "jira")
        assert "Jira is off for this channel" in shown["text"]  # no default project
    refused = [r for r in caplog.records if "JIRA_API_TOKEN" in r.getMessage()]
    assert len(refused) == 1
    assert "401" in refused[0].getMessage()
