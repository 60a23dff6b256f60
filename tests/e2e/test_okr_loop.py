"""OKRs tied to the loop, over signed HTTP: an action picked to serve a key result in the
action form shows under it, and a key result Lessonloop measures moves when the action
closes."""

from __future__ import annotations

from typing import Any

from handlers.slack.ids import ActionId, Field, OkrField
from tests.e2e.followthrough import buttons, interact
from tests.e2e.okrs import (
    check_in_buttons,
    choice,
    key_result,
    message_text,
    new_form,
    okr_command,
    opened_view,
    submit_objective,
)
from tests.e2e.review import BEA, CAI, CHANNEL, FACILITATOR, Review
from tests.e2e.test_followthrough import responses, text_of
from tests.harness import AppHarness


def check_in_measured(app: AppHarness, objective_id: str) -> str:
    detail = okr_command(app, objective_id, user=BEA, channel=CHANNEL)
    button = check_in_buttons(detail)[0]
    before = len(app.fake.calls_to("views.open"))
    app.driver.click(
        ActionId.OKR_CHECK_IN, button["value"], user=BEA, channel=CHANNEL, message_ts="1.1"
    )
    form = opened_view(app, before, "check-in form")
    assert OkrField.VALUE not in {b.get("block_id") for b in form["blocks"]}
    answer = app.driver.submit_view(form, {OkrField.CONFIDENCE: choice("on_track")}, user=BEA)
    assert answer.status == 200 and answer.json() is None
    return message_text(okr_command(app, objective_id, user=BEA, channel=CHANNEL))


def test_action_serving_a_key_result_shows_under_it_and_moves_a_measured_one(
    app: AppHarness,
) -> None:
    review = Review(app, channel=CHANNEL)
    review.start("Config outage")
    for step in (1, 2, 3):
        review.next_step(step)
    review.reply("Improve: config changes have no canary stage", user=BEA)
    review.next_step(4)
    form = new_form(app, user=BEA, channel=CHANNEL)
    submit_objective(
        app,
        form,
        "Learn from every incident",
        key_result(1, "Open improve lessons", "measure:open_lessons", target="0"),
        user=BEA,
    )
    listing = okr_command(app, "", user=BEA, channel=CHANNEL)
    objective_id = listing["text"].split("*#", 1)[1].split(" ", 1)[0]
    assert "Open improve lessons: *1 lessons → 0 lessons*" in message_text(listing)

    before = len(app.fake.calls_to("views.open"))
    review.press("Step 5", ActionId.ADD_ACTION, user=FACILITATOR)
    action_form: dict[str, Any] = opened_view(app, before, "action form")
    picker = next(b for b in action_form["blocks"] if b["block_id"] == Field.KEY_RESULT)
    option = picker["element"]["options"][0]
    assert "Open improve lessons (Learn from every incident)" in option["text"]["text"]
    lessons = next(b for b in action_form["blocks"] if b["block_id"] == Field.LESSON)
    answer = app.driver.submit_view(
        action_form,
        {
            Field.DESCRIPTION: {"type": "plain_text_input", "value": "Add a canary stage"},
            Field.OWNER: {"type": "users_select", "selected_user": BEA},
            Field.TARGET: {"type": "datepicker", "selected_date": "2026-12-04"},
            Field.LESSON: {
                "type": "static_select",
                "selected_option": lessons["element"]["options"][-1],
            },
            Field.KEY_RESULT: {"type": "static_select", "selected_option": option},
        },
        user=FACILITATOR,
    )
    assert answer.status == 200 and answer.json() is None

    served = message_text(okr_command(app, objective_id, user=BEA, channel=CHANNEL))
    assert ":arrow_forward: Add a canary stage" in served and "open" in served
    assert "Open improve lessons: *1 lessons → 0 lessons*" in check_in_measured(app, objective_id)

    # Bea closes the action from /actions; the next check-in measures it.
    app.driver.command("", user=BEA, channel=CHANNEL, command="/actions")
    mine = app.fake.wait_for(lambda: responses(app, "Your open actions"))[0]
    done = buttons(mine, ActionId.UPDATE_DONE)[0]
    interact(
        app.driver,
        {"action_id": ActionId.UPDATE_DONE, "block_id": done["block_id"], "type": "button"}
        | {"value": done["value"]},
        user=BEA,
        channel=CHANNEL,
        message_ts="1700000009.000001",
        ephemeral=True,
    )
    app.fake.wait_for(lambda: "Nothing open" in text_of(app.fake.calls_to("response_url")[-1]))

    after = check_in_measured(app, objective_id)
    assert "Open improve lessons: *0 lessons → 0 lessons*" in after
    assert ":white_check_mark: Add a canary stage" in after


def test_a_lesson_is_linked_from_the_objective_and_shows_under_its_key_result(
    app: AppHarness,
) -> None:
    review = Review(app, channel=CHANNEL)
    review.start("Config outage")
    for step in (1, 2, 3):
        review.next_step(step)
    review.reply("Improve: config changes have no canary stage", user=BEA)
    form = new_form(app, user=BEA, channel=CHANNEL)
    submit_objective(
        app,
        form,
        "Make config changes safe",
        key_result(1, "Change-failure rate", "percent", start="15", target="5"),
        user=BEA,
    )
    listing = okr_command(app, "", user=BEA, channel=CHANNEL)
    objective_id = listing["text"].split("*#", 1)[1].split(" ", 1)[0]
    detail = okr_command(app, objective_id, user=BEA, channel=CHANNEL)
    link = next(
        e
        for b in detail["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == ActionId.OKR_LINK
    )

    before = len(app.fake.calls_to("views.open"))
    app.driver.click(ActionId.OKR_LINK, link["value"], user=CAI, channel=CHANNEL, message_ts="1.1")
    link_form = opened_view(app, before, "link form")
    lessons = next(b for b in link_form["blocks"] if b.get("block_id") == OkrField.LINK_LESSON)
    option = lessons["element"]["options"][0]
    assert "config changes have no canary stage" in option["text"]["text"]
    answer = app.driver.submit_view(
        link_form,
        {OkrField.LINK_LESSON: {"type": "static_select", "selected_option": option}},
        user=CAI,
    )
    assert answer.status == 200 and answer.json() is None

    shown = message_text(okr_command(app, objective_id, user=BEA, channel=CHANNEL))
    assert ":bulb: Improve: config changes have no canary stage" in shown


def test_an_action_is_linked_to_a_key_result_later_from_actions(app: AppHarness) -> None:
    review = Review(app, channel=CHANNEL)
    review.start("Config outage")
    for step in (1, 2, 3, 4):
        review.next_step(step)
    form = new_form(app, user=BEA, channel=CHANNEL)
    submit_objective(
        app,
        form,
        "Make changes safe",
        key_result(1, "Canary for config changes", "milestone"),
        user=BEA,
    )
    listing = okr_command(app, "", user=BEA, channel=CHANNEL)
    objective_id = listing["text"].split("*#", 1)[1].split(" ", 1)[0]
    before = len(app.fake.calls_to("views.open"))
    review.press("Step 5", ActionId.ADD_ACTION, user=FACILITATOR)
    action_form: dict[str, Any] = opened_view(app, before, "action form")
    answer = app.driver.submit_view(
        action_form,
        {
            Field.DESCRIPTION: {"type": "plain_text_input", "value": "Add a canary <!here>"},
            Field.OWNER: {"type": "users_select", "selected_user": BEA},
        },
        user=FACILITATOR,
    )
    assert answer.status == 200 and answer.json() is None
    assert "Add a canary" not in message_text(
        okr_command(app, objective_id, user=BEA, channel=CHANNEL)
    )

    app.driver.command("", user=BEA, channel=CHANNEL, command="/actions")
    mine = app.fake.wait_for(lambda: responses(app, "Your open actions"))[0]
    serve = buttons(mine, ActionId.OKR_SERVE)[0]
    before = len(app.fake.calls_to("views.open"))
    app.driver.click(
        ActionId.OKR_SERVE, serve["value"], user=BEA, channel=CHANNEL, message_ts="1.1"
    )
    serve_form = opened_view(app, before, "serve form")
    assert "&lt;!here&gt;" in serve_form["blocks"][0]["text"]["text"]
    picker = next(b for b in serve_form["blocks"] if b.get("block_id") == OkrField.SERVES)
    option = picker["element"]["options"][0]
    assert option["text"]["text"] == "Canary for config changes (Make changes safe)"

    forged = app.driver.submit_view(
        serve_form,
        {OkrField.SERVES: {"type": "static_select", "selected_option": {"value": "99999"}}},
        user=BEA,
    ).json()
    assert forged["response_action"] == "errors" and OkrField.SERVES in forged["errors"]
    answer = app.driver.submit_view(
        serve_form,
        {OkrField.SERVES: {"type": "static_select", "selected_option": option}},
        user=BEA,
    )
    assert answer.status == 200 and answer.json() is None
    served = message_text(okr_command(app, objective_id, user=BEA, channel=CHANNEL))
    assert "Add a canary &lt;!here&gt;" in served
