"""Editing an objective over signed HTTP: the Edit button on `/okr <id>` opens a form
filled in as the objective is, for its owner only (decided from the database when the form
opens and again when it is submitted); every change is recorded."""

from __future__ import annotations

import json
from typing import Any

from handlers.slack.ids import ActionId, OkrField, ViewId, kr_field
from models.core.privacy import Viewer
from tests.e2e.okrs import choice, message_text, okr_command, opened_view, person, text_input
from tests.e2e.review import BEA, CAI
from tests.e2e.test_okrs import OPS, create_three_kinds, teams  # noqa: F401 (a fixture)
from tests.fakeslack import TEAM_ID
from tests.harness import AppHarness


def edit_button(message: dict[str, Any]) -> dict[str, Any]:
    return next(
        element
        for block in message["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == ActionId.OKR_EDIT
    )


def as_submitted(form: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What Slack sends back for a form nobody changed: each input's initial value."""
    values: dict[str, dict[str, Any]] = {}
    for block in form["blocks"]:
        element = block.get("element")
        if block["type"] != "input" or element is None:
            continue
        if "initial_value" in element:
            values[block["block_id"]] = text_input(element["initial_value"])
        elif "initial_user" in element:
            values[block["block_id"]] = person(element["initial_user"])
        elif "initial_option" in element:
            values[block["block_id"]] = choice(element["initial_option"]["value"])
    return values


def test_the_owner_edits_the_objective_and_its_key_results_and_changes_are_recorded(
    teams: AppHarness,  # noqa: F811
) -> None:
    objective_id = create_three_kinds(teams)
    detail = okr_command(teams, str(objective_id), user=BEA, channel=OPS)
    before = len(teams.fake.calls_to("views.open"))
    teams.driver.click(
        ActionId.OKR_EDIT, edit_button(detail)["value"], user=BEA, channel=OPS, message_ts="1.1"
    )
    form = opened_view(teams, before, "the edit form")
    assert form["callback_id"] == ViewId.OKR_EDIT
    values = as_submitted(form)
    assert values[OkrField.TITLE] == text_input("Make changes safe <!channel>")
    assert values[kr_field(1, OkrField.KR_TARGET)] == text_input("5")
    assert kr_field(3, OkrField.KR_TARGET) not in values  # a milestone's target is 1

    values[OkrField.TITLE] = text_input("Make every change safe")
    values[kr_field(1, OkrField.KR_TARGET)] = text_input("4")
    values[kr_field(2, OkrField.KR_OWNER)] = person(BEA)
    values[kr_field(3, OkrField.KR_CONFIDENCE)] = choice("at_risk")
    answer = teams.driver.submit_view(form, values, user=BEA)
    assert answer.status == 200 and answer.json() is None

    shown = teams.fake.wait_for(
        lambda: [
            p
            for p in teams.fake.calls_to("chat.postEphemeral")
            if "Make every change safe" in p["text"]
        ],
        what="the edited objective",
    )
    assert shown[-1]["user"] == BEA
    listing = message_text(okr_command(teams, "", user=CAI, channel=OPS))
    assert "Make every change safe" in listing and "Change-failure rate: *15% → 4%*" in listing
    changes = teams.services.okrs.changes(
        viewer=Viewer(TEAM_ID, CAI, frozenset()), objective_id=objective_id
    )
    assert [(field, new) for _, field, new in changes] == [
        ("title", "Make every change safe"),
        ("target", "4.0"),
        ("owner", BEA),
        ("confidence", "at_risk"),
    ]


def test_only_the_objectives_owner_may_edit_it_checked_again_on_submit(
    teams: AppHarness,  # noqa: F811
) -> None:
    objective_id = create_three_kinds(teams)  # Bea owns it; Cai owns one key result
    detail = okr_command(teams, str(objective_id), user=CAI, channel=OPS)
    before = len(teams.fake.calls_to("views.open"))
    teams.driver.click(
        ActionId.OKR_EDIT, edit_button(detail)["value"], user=CAI, channel=OPS, message_ts="1.1"
    )
    teams.fake.wait_for(
        lambda: any(
            "Only the objective's owner" in r.get("text", "")
            for r in teams.fake.calls_to("response_url")
        ),
        what="refusal",
    )
    assert len(teams.fake.calls_to("views.open")) == before

    # A form Cai never got (or Bea's, replayed by Cai) is refused too, and changes nothing.
    forged = {
        "type": "modal",
        "callback_id": ViewId.OKR_EDIT,
        "private_metadata": json.dumps({"o": objective_id, "krs": []}),
        "blocks": [],
    }
    answer = teams.driver.submit_view(
        forged,
        {OkrField.TITLE: text_input("Taken over"), OkrField.OWNER: person(CAI)},
        user=CAI,
    ).json()
    assert answer["response_action"] == "errors"
    assert "Only the objective's owner" in answer["errors"][OkrField.TITLE]
    listing = message_text(okr_command(teams, "", user=CAI, channel=OPS))
    assert "Taken over" not in listing and "Make changes safe" in listing
