"""Helpers for driving OKRs over signed HTTP."""

from __future__ import annotations

from typing import Any

from handlers.slack.ids import ActionId, Command, OkrField, kr_field
from tests.e2e.lessons import replies
from tests.harness import AppHarness


def okr_command(app: AppHarness, text: str, *, user: str, channel: str) -> dict[str, Any]:
    """Run `/okr <text>` and return the private reply."""
    before = len(app.fake.calls_to("response_url"))
    response = app.driver.command(text, user=user, channel=channel, command=Command.OKR)
    assert response.status == 200, response.body
    found: list[dict[str, Any]] = app.fake.wait_for(
        lambda: replies(app, str(before)), what=f"/okr {text}"
    )
    return found[0]


def opened_view(app: AppHarness, before: int, what: str) -> dict[str, Any]:
    opened = app.fake.wait_for(lambda: app.fake.calls_to("views.open")[before:], what=what)
    return dict(opened[0]["view"])


def new_form(app: AppHarness, *, user: str, channel: str) -> dict[str, Any]:
    before = len(app.fake.calls_to("views.open"))
    response = app.driver.command("new", user=user, channel=channel, command=Command.OKR)
    assert response.status == 200, response.body
    return opened_view(app, before, "the new objective form")


def text_input(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def choice(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


def person(user: str) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": user}


def key_result(
    slot: int,
    title: str,
    kind: str,
    *,
    start: str = "",
    target: str = "",
    unit: str = "",
    owner: str | None = None,
) -> dict[str, dict[str, Any]]:
    values = {
        kr_field(slot, OkrField.KR_TITLE): text_input(title),
        kr_field(slot, OkrField.KR_KIND): choice(kind),
        kr_field(slot, OkrField.KR_START): text_input(start),
        kr_field(slot, OkrField.KR_TARGET): text_input(target),
        kr_field(slot, OkrField.KR_UNIT): text_input(unit),
    }
    if owner:
        values[kr_field(slot, OkrField.KR_OWNER)] = person(owner)
    return values


def submit_objective(
    app: AppHarness,
    form: dict[str, Any],
    title: str,
    *key_results: dict[str, dict[str, Any]],
    user: str,
    owner: str | None = None,
) -> Any:
    values: dict[str, dict[str, Any]] = {
        OkrField.TITLE: text_input(title),
        OkrField.OWNER: person(owner or user),
        OkrField.PERIOD: choice("this"),
    }
    for kr in key_results:
        values.update(kr)
    response = app.driver.submit_view(form, values, user=user)
    assert response.status == 200, response.body
    return response.json()


def check_in_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        b["accessory"]
        for b in message["blocks"]
        if b.get("accessory", {}).get("action_id") == ActionId.OKR_CHECK_IN
    ]


def message_text(message: dict[str, Any]) -> str:
    return "\n".join(
        b["text"]["text"] for b in message.get("blocks", []) if isinstance(b.get("text"), dict)
    )
