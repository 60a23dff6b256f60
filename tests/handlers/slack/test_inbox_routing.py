"""Which verified requests are stored for the inbox workers and which go on to the front
app: commands and clicks whose work opens a form stay in front (a modal must open within
3 s of the click), and so does anything that is not the app's own."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import BoltResponse

from handlers.slack.ids import ActionId, Command
from handlers.slack.inbox import (
    OPENS_A_FORM_ACTIONS,
    OPENS_A_FORM_COMMANDS,
    TRIGGER_PREFIX,
    EventIntake,
)
from models.core.references import Platform
from models.services import Services

HANDLERS = Path(__file__).parents[3] / "handlers/slack"


def _opening_functions(trees: list[ast.Module]) -> set[str]:
    """Functions and methods that call `views_open` themselves."""
    return {
        node.name
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any(
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "views_open"
            for call in ast.walk(node)
        )
    }


def _registrations(tree: ast.Module) -> list[tuple[str, str, set[str]]]:
    """(kind, id, names the listeners use) of each `app.action(id)(...)` and
    `app.command(id)(...)`; `id` is the enum member's name, or "" for a loop variable."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Call)):
            continue
        register = node.func.func
        if not (isinstance(register, ast.Attribute) and register.attr in ("action", "command")):
            continue
        key = node.func.args[0]
        member = key.attr if isinstance(key, ast.Attribute) else ""
        names = {
            part.attr if isinstance(part, ast.Attribute) else part.id
            for arg in node.args
            for part in ast.walk(arg)
            if isinstance(part, ast.Attribute | ast.Name)
        }
        found.append((register.attr, member, names))
    return found


def test_exactly_the_listeners_that_open_a_form_stay_on_the_front_app() -> None:
    trees = [ast.parse(path.read_text()) for path in sorted(HANDLERS.glob("*.py"))]
    opening = _opening_functions(trees)
    actions, commands = set(), set()
    for tree in trees:
        for kind, member, names in _registrations(tree):
            if names & opening:
                assert member, f"a looped {kind} registration opens a form: list it by name"
                (actions if kind == "action" else commands).add(member)
    assert actions == {member.name for member in OPENS_A_FORM_ACTIONS}
    assert commands == {member.name for member in OPENS_A_FORM_COMMANDS}


def command(
    name: str, trigger_id: str = "13345224609.738474920.8088930838d88f008e0"
) -> dict[str, Any]:
    return {
        "command": name,
        "text": "start Outage",
        "team_id": "T0TEAM",
        "user_id": "U0ANA",
        "channel_id": "C0INC",
        "trigger_id": trigger_id,
        "response_url": "http://127.0.0.1:9/response",
    }


def click(*action_ids: str, trigger_id: str = "13345224609.1") -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T0TEAM"},
        "user": {"id": "U0ANA", "team_id": "T0TEAM"},
        "trigger_id": trigger_id,
        "actions": [{"action_id": action_id, "type": "button"} for action_id in action_ids],
    }


class Intake:
    def __init__(self, services: Services) -> None:
        self.services, self.wakes = services, 0
        self.intake = EventIntake(services.inbox, self.wake)

    def wake(self) -> None:
        self.wakes += 1

    def stored(self) -> list[dict[str, Any]]:
        return [body for _, body in self.services.inbox.claim(limit=50)]


@pytest.fixture
def intake(services: Services) -> Intake:
    return Intake(services)


@pytest.mark.parametrize("name", sorted(set(Command) - OPENS_A_FORM_COMMANDS))
def test_the_apps_commands_are_stored_and_answered_at_once(intake: Intake, name: str) -> None:
    body = command(name)
    assert intake.intake.keep(body) is True
    assert intake.stored() == [body]
    assert intake.wakes == 1


def test_a_command_is_known_by_its_trigger_id(intake: Intake) -> None:
    first = command(Command.POSTMORTEM, trigger_id="1.2.abc")
    assert intake.intake.keep(first) is True
    assert intake.intake.keep(command(Command.LESSONS, trigger_id="1.2.abc")) is True
    assert intake.stored() == [first]
    again = {"platform": Platform.SLACK, "team_id": "T0TEAM", "body": {}}
    assert intake.services.inbox.store(event_id=TRIGGER_PREFIX + "1.2.abc", **again) is False
    assert intake.services.inbox.store(event_id="1.2.abc", **again) is True


def test_buttons_that_open_no_form_are_stored(intake: Intake) -> None:
    body = click(ActionId.UPDATE_DONE)
    assert intake.intake.keep(body) is True
    assert intake.stored() == [body]


@pytest.mark.parametrize(
    "body",
    [
        command(Command.OKR),  # `/okr new` opens a form
        command("/not-ours"),  # Bolt answers 404
        command(Command.POSTMORTEM, trigger_id=""),
        {k: v for k, v in command(Command.POSTMORTEM).items() if k != "trigger_id"},
        click(ActionId.UPDATE_BLOCKED),  # opens the note form
        click(ActionId.UPDATE_DONE, ActionId.ADD_ACTION),
        click("someone.elses"),
        click(),
        {**click(ActionId.UPDATE_DONE), "actions": [{"action_id": ["not", "a", "string"]}]},
        {**click(ActionId.UPDATE_DONE), "actions": "update.done"},
        {**click(ActionId.UPDATE_DONE), "type": "view_submission"},
        {"type": "shortcut", "callback_id": "lesson.save", "trigger_id": "1.2.3"},
        {"ssl_check": "1", "token": "x"},
    ],
    ids=lambda body: str(body.get("command") or body.get("type") or "ssl_check"),
)
def test_the_rest_goes_on_to_the_front_app(intake: Intake, body: dict[str, Any]) -> None:
    assert intake.intake.keep(body) is False
    assert intake.stored() == []
    assert intake.wakes == 0


def test_events_are_answered_at_once_and_only_useful_ones_stored(intake: Intake) -> None:
    chatter = {
        "type": "event_callback",
        "event_id": "EvChatter",
        "team_id": "T0TEAM",
        "event": {"type": "message", "user": "U0ANA", "text": "hi", "ts": "1.1"},
    }
    reply = {**chatter, "event_id": "EvReply", "event": {**chatter["event"], "thread_ts": "1.0"}}
    assert intake.intake.keep(chatter) is True
    assert intake.intake.keep(reply) is True
    assert intake.stored() == [reply]


def test_socket_mode_requests_are_routed_the_same_way(intake: Intake) -> None:
    """Socket Mode requests reach the front app, whose global middleware keeps them."""
    passed_on: list[bool] = []

    def next_() -> BoltResponse:
        passed_on.append(True)
        return BoltResponse(status=200, body="from a listener")

    kept = intake.intake.middleware(command(Command.ACTIONS), next_)
    assert kept is not None and (kept.status, kept.body) == (200, "")
    assert passed_on == []
    answered = intake.intake.middleware(command(Command.OKR), next_)
    assert answered is not None and answered.body == "from a listener"
    assert passed_on == [True]
    assert len(intake.stored()) == 1
