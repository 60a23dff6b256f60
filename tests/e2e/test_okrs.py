"""OKRs end to end over signed HTTP: created in the form, listed, checked in, and kept
from people outside a private channel on every surface."""

from __future__ import annotations

import json

import pytest

from handlers.slack.ids import ActionId, Command, OkrField, ViewId
from tests.e2e.lessons import home_text, open_home, settled
from tests.e2e.okrs import (
    check_in_buttons,
    choice,
    key_result,
    message_text,
    new_form,
    okr_command,
    opened_view,
    submit_objective,
    text_input,
)
from tests.e2e.review import BEA, CAI, FACILITATOR
from tests.harness import AppHarness

OPS, SECRET = "C0OPS0001", "G0SECRET1"


@pytest.fixture
def teams(app: AppHarness) -> AppHarness:
    app.fake.add_channel(OPS, "ops", members=(FACILITATOR, BEA, CAI))
    app.fake.add_channel(SECRET, "security", private=True, members=(FACILITATOR, BEA))
    return app


def create_three_kinds(app: AppHarness) -> int:
    form = new_form(app, user=BEA, channel=OPS)
    answer = submit_objective(
        app,
        form,
        "Make changes safe <!channel>",
        key_result(1, "Change-failure rate", "percent", start="15", target="5"),
        key_result(2, "Deploys a week", "number", target="20", unit="deploys", owner=CAI),
        key_result(3, "Canary for config changes", "milestone"),
        user=BEA,
    )
    assert answer is None  # the form closed: no errors
    created = app.fake.wait_for(lambda: app.fake.calls_to("chat.postEphemeral"), what="created")
    note = created[-1]
    assert note["channel"] == OPS and note["user"] == BEA
    assert "created with 3 key results" in note["text"]
    assert "<!channel>" not in note["text"] and "&lt;!channel&gt;" in note["text"]
    assert "no baseline" in message_text(note)  # the deploys KR has no start value
    listing = okr_command(app, "", user=BEA, channel=OPS)
    return int(listing["text"].split("*#", 1)[1].split(" ", 1)[0])


def test_objective_with_three_kinds_of_key_result_is_created_listed_and_checked_in(
    teams: AppHarness,
) -> None:
    objective_id = create_three_kinds(teams)

    listing = message_text(okr_command(teams, "", user=CAI, channel=OPS))
    assert "· <@U0BEA0002> ·" in listing and "&amp;lt;" not in listing  # escaped once
    assert "Make changes safe &lt;!channel&gt;" in listing
    assert "Change-failure rate: *15% → 5%*" in listing
    assert "Deploys a week: *? deploys → 20 deploys*" in listing
    assert "Canary for config changes: *not done*" in listing

    detail = okr_command(teams, str(objective_id), user=BEA, channel=OPS)
    buttons = check_in_buttons(detail)
    assert len(buttons) == 3

    before = len(teams.fake.calls_to("views.open"))
    teams.driver.click(
        ActionId.OKR_CHECK_IN, buttons[0]["value"], user=BEA, channel=OPS, message_ts="1.1"
    )
    form = opened_view(teams, before, "check-in form")
    response = teams.driver.submit_view(
        form,
        {
            OkrField.VALUE: text_input("10"),
            OkrField.CONFIDENCE: choice("at_risk"),
            OkrField.NOTE: text_input("canary in staging <!here>"),
        },
        user=BEA,
    )
    assert response.status == 200 and response.json() is None

    after = message_text(okr_command(teams, str(objective_id), user=BEA, channel=OPS))
    assert "Change-failure rate: *10% → 5%*" in after and "_at risk_" in after
    assert "█████░░░░░ 50%" in after


def test_form_errors_are_shown_next_to_the_field(teams: AppHarness) -> None:
    form = new_form(teams, user=BEA, channel=OPS)

    answer = submit_objective(
        teams,
        form,
        "Faster reviews",
        key_result(1, "Reviews held", "number", start="2", target="lots"),
        key_result(2, "Share done", "percent", start="0", target="140"),
        user=BEA,
    )

    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"okr.kr1.target"}
    answer = submit_objective(
        teams,
        form,
        "Faster reviews",
        key_result(1, "Reviews held", "number", start="2", target="6"),
        key_result(2, "Share done", "percent", start="0", target="140"),
        user=BEA,
    )
    assert answer["errors"] == {"okr.kr2.target": "Give a percentage between 0 and 100."}


def test_only_the_owner_checks_in(teams: AppHarness) -> None:
    objective_id = create_three_kinds(teams)
    detail = okr_command(teams, str(objective_id), user=CAI, channel=OPS)
    first = check_in_buttons(detail)[0]  # Bea's key result

    before = len(teams.fake.calls_to("views.open"))
    teams.driver.click(
        ActionId.OKR_CHECK_IN, first["value"], user=CAI, channel=OPS, message_ts="1.1"
    )
    teams.fake.wait_for(
        lambda: any(
            "Only the key result's owner" in r.get("text", "")
            for r in teams.fake.calls_to("response_url")
        ),
        what="refusal",
    )
    form = {
        "type": "modal",
        "callback_id": ViewId.OKR_CHECK_IN,
        "private_metadata": json.dumps({"kr": int(first["value"])}),
        "blocks": [],
    }
    answer = teams.driver.submit_view(
        form, {OkrField.VALUE: text_input("3"), OkrField.CONFIDENCE: choice("on_track")}, user=CAI
    ).json()

    assert len(teams.fake.calls_to("views.open")) == before
    assert answer["response_action"] == "errors"
    assert "Only the key result's owner" in answer["errors"][OkrField.VALUE]


def test_a_private_channels_okrs_are_only_for_its_members(teams: AppHarness) -> None:
    form = new_form(teams, user=BEA, channel=SECRET)
    submit_objective(
        teams,
        form,
        "Rotate every vault token",
        # Owned by a member: Cai, outside the channel, would be refused as its owner
        # (tests/e2e/test_okr_private_owners.py).
        key_result(1, "Tokens rotated", "percent", start="0", target="100"),
        user=BEA,
    )
    member_list = okr_command(teams, "", user=BEA, channel=SECRET)
    secret_id = member_list["text"].split("*#", 1)[1].split(" ", 1)[0]
    public_id = create_three_kinds(teams)

    # /okr <id>, /okr tree and the Home tab, for someone outside the private channel.
    refused = okr_command(teams, secret_id, user=CAI, channel=OPS)
    assert "can't find that objective" in refused["text"] and "vault" not in refused["text"]
    tree = message_text(okr_command(teams, "tree", user=CAI, channel=OPS))
    assert f"#{public_id} Make changes safe" in tree and "vault" not in tree
    home = home_text(open_home(teams, user=CAI))
    assert "Deploys a week" in home and "vault" not in home
    member_tree = message_text(okr_command(teams, "tree", user=BEA, channel=OPS))
    assert "Rotate every vault token" in member_tree
    member_home = home_text(open_home(teams, user=BEA))
    assert "Rotate every vault token" in member_home

    # The review and the CSV export of his channel carry nothing of the private one.
    okr_command(teams, "export", user=CAI, channel=OPS)
    csv_files = teams.fake.wait_for(
        lambda: teams.fake.shared_files("D" + CAI.lstrip("U")), what="the CSV"
    )
    assert all(b"vault" not in (f.content or b"") for f in csv_files)
    assert any(b"Deploys a week" in (f.content or b"") for f in csv_files)
    teams.driver.command("review", user=CAI, channel=OPS, command=Command.OKR)
    posted = teams.fake.wait_for(
        lambda: [p for p in teams.fake.calls_to("chat.postMessage") if "OKR review" in p["text"]],
        what="the review",
    )
    assert "Deploys a week" in posted[0]["text"] and "vault" not in posted[0]["text"]

    # A check-in button naming the private key result opens nothing for him.
    before = len(teams.fake.calls_to("views.open"))
    member_detail = okr_command(teams, secret_id, user=BEA, channel=SECRET)
    button = check_in_buttons(member_detail)[0]
    teams.driver.click(
        ActionId.OKR_CHECK_IN, button["value"], user=CAI, channel=OPS, message_ts="1.1"
    )
    teams.fake.wait_for(
        lambda: any(
            "can't find that key result" in r.get("text", "")
            for r in teams.fake.calls_to("response_url")
        ),
        what="refusal",
    )
    settled(teams)
    assert len(teams.fake.calls_to("views.open")) == before
