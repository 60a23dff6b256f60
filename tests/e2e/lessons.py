"""Helpers for driving lessons, the library and App Home over signed HTTP."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from handlers.slack.ids import Command, Event, Field, Shortcut
from models.lessons.tables import Lesson
from tests.fakeslack import TEAM_ID
from tests.harness import AppHarness
from tests.slackdriver import new_trigger_id

_counter = itertools.count(1)


def lesson_command(app: AppHarness, text: str, *, user: str, channel: str) -> str:
    """Run `/lesson`; returns the response_url name the app will answer on."""
    return _command(app, Command.LESSON, text, user=user, channel=channel)


def lessons_command(app: AppHarness, text: str, *, user: str, channel: str) -> str:
    return _command(app, Command.LESSONS, text, user=user, channel=channel)


def _command(app: AppHarness, command: str, text: str, *, user: str, channel: str) -> str:
    before = len(app.fake.calls_to("response_url"))
    response = app.driver.command(text, user=user, channel=channel, command=command)
    assert response.status == 200, response.body
    return str(before)


def replies(app: AppHarness, after: str) -> list[dict[str, Any]]:
    return app.fake.calls_to("response_url")[int(after) :]


def wait_reply(app: AppHarness, after: str, what: str = "private reply") -> dict[str, Any]:
    found: list[dict[str, Any]] = app.fake.wait_for(lambda: replies(app, after), what=what)
    return found[0]


def element(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in message["blocks"]:
        for item in block.get("elements", []):
            if item.get("action_id") == action_id:
                return dict(item)
    raise AssertionError(f"no {action_id} in {message.get('text', '')[:60]!r}")


def click(
    app: AppHarness, message: dict[str, Any], action_id: str, *, user: str, channel: str
) -> str:
    """Press a button on an ephemeral message; returns the marker for the answer."""
    button = element(message, action_id)
    before = str(len(app.fake.calls_to("response_url")))
    response = app.driver.click(
        action_id, button["value"], user=user, channel=channel, message_ts="1800000000.000001"
    )
    assert response.status == 200, response.body
    return before


def text_of(message: dict[str, Any]) -> str:
    parts = [str(message.get("text", ""))]
    parts += [b["text"]["text"] for b in message.get("blocks", []) if "text" in b]
    return "\n".join(parts)


def message_shortcut(
    app: AppHarness,
    callback_id: Shortcut,
    *,
    user: str,
    channel: str,
    text: str,
    ts: str,
    author: str,
) -> dict[str, Any]:
    """Run a message shortcut as Slack sends it; returns the modal the app opened."""
    before = len(app.fake.calls_to("views.open"))
    payload = {
        "type": "message_action",
        "token": "legacy-unused",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "channel": {"id": channel, "name": "incidents"},
        "is_enterprise_install": False,
        "callback_id": callback_id,
        "trigger_id": new_trigger_id(),
        "response_url": app.fake.response_url(f"shortcut-{next(_counter)}"),
        "message_ts": ts,
        "message": {"type": "message", "user": author, "text": text, "ts": ts},
    }
    response = app.driver.post(
        urlencode({"payload": json.dumps(payload)}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status == 200, response.body
    opened = app.fake.wait_for(lambda: app.fake.calls_to("views.open")[before:], what="modal")
    return dict(opened[0]["view"])


def option(view: dict[str, Any], field: Field, label_part: str) -> dict[str, Any]:
    block = next(b for b in view["blocks"] if b["block_id"] == field)
    return next(o for o in block["element"]["options"] if label_part in o["text"]["text"])


def open_home(app: AppHarness, *, user: str) -> dict[str, Any]:
    before = len(app.fake.calls_to("views.publish"))
    response = app.driver.event(
        {
            "type": Event.APP_HOME_OPENED,
            "user": user,
            "channel": "D0HOME0001",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
    )
    assert response.status == 200
    published = app.fake.wait_for(
        lambda: app.fake.calls_to("views.publish")[before:], what="home published"
    )
    assert published[0]["user_id"] == user
    return dict(published[0]["view"])


def home_text(view: dict[str, Any]) -> str:
    return "\n".join(
        b["text"]["text"] for b in view["blocks"] if b["type"] in ("section", "header")
    )


def lessons_in_db(app: AppHarness) -> list[Lesson]:
    with app.services.sessions() as session:
        return list(session.scalars(select(Lesson).order_by(Lesson.id)))


def settled(app: AppHarness, quiet: float = 0.4) -> None:
    """Wait until the app has made no Web API call for `quiet` seconds: listeners run
    after the ack, so "no note" can only be seen once they have had time to post one."""
    count, since = len(app.fake.calls), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.05)
        if len(app.fake.calls) != count:
            count, since = len(app.fake.calls), time.monotonic()
