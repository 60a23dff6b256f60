"""Weekly check-in DMs over signed HTTP with a frozen clock: one DM per key result owner,
edited in place as they answer, one follow-up only to those who did not, and a new round
the next week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.scheduler import tick
from handlers.slack.ids import ActionId, OkrField
from models.core.clock import FrozenClock
from tests.e2e.followthrough import dm_count_by_channel, dms
from tests.e2e.okrs import choice, opened_view, text_input
from tests.e2e.review import BEA, CAI, FACILITATOR
from tests.e2e.test_okrs import OPS, create_three_kinds
from tests.harness import AppHarness

ASKED = "OKR check-in"
FOLLOWED_UP = "no check-in yet this cycle"
MONDAY = datetime(2026, 11, 16, 9, tzinfo=UTC)
BEA_DM, CAI_DM = "D" + BEA.lstrip("U"), "D" + CAI.lstrip("U")


def run_tick(app: AppHarness) -> None:
    """What the scheduler does every 30 seconds."""
    assert app.lessonloop is not None
    tick(app.lessonloop.courier, app.services.plan_due)


def check_in(app: AppHarness, dm: dict[str, Any], slot: int, values: dict[str, Any]) -> None:
    button = [
        b["accessory"]
        for b in dm["blocks"]
        if b.get("accessory", {}).get("action_id") == ActionId.OKR_CHECK_IN
    ][slot]
    before = len(app.fake.calls_to("views.open"))
    app.driver.click(
        ActionId.OKR_CHECK_IN, button["value"], user=BEA, channel=BEA_DM, message_ts=dm["ts"]
    )
    form = opened_view(app, before, "check-in form")
    response = app.driver.submit_view(form, values, user=BEA)
    assert response.status == 200 and response.json() is None


def edits_of(app: AppHarness, dm: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        p
        for p in app.fake.calls_to("chat.update")
        if p["channel"] == dm["channel"] and p["ts"] == dm["ts"]
    ]


@pytest.fixture
def owners(app: AppHarness, clock: FrozenClock) -> AppHarness:
    clock.set(MONDAY)
    app.fake.add_channel(OPS, "ops", members=(FACILITATOR, BEA, CAI))
    create_three_kinds(app)  # Bea owns two key results, Cai one
    return app


def test_one_dm_per_owner_edited_as_they_answer_then_one_followup(
    owners: AppHarness, clock: FrozenClock
) -> None:
    app, fake = owners, owners.fake
    run_tick(app)
    # Set at 09:00, the key results wait for the cycle the workspace's default cadence
    # (weekly, Monday 10:00) starts next.
    assert dms(fake, ASKED) == []
    clock.advance(timedelta(hours=1))
    run_tick(app)
    run_tick(app)  # a second scheduler tick owes nothing new

    assert dm_count_by_channel(fake, ASKED) == {BEA_DM: 1, CAI_DM: 1}
    bea_dm = (
        dms(fake, ASKED)[0] if dms(fake, ASKED)[0]["channel"] == BEA_DM else dms(fake, ASKED)[1]
    )
    text = "\n".join(b["text"]["text"] for b in bea_dm["blocks"])
    assert "Change-failure rate" in text and "Canary" in text and "Deploys" not in text

    check_in(
        app,
        bea_dm,
        0,
        {OkrField.VALUE: text_input("12"), OkrField.CONFIDENCE: choice("on_track")},
    )
    edited = fake.wait_for(lambda: edits_of(app, bea_dm), what="DM edited")[-1]
    edited_text = "\n".join(b["text"]["text"] for b in edited["blocks"])
    assert ":white_check_mark: • Change-failure rate: *12% → 5%*" in edited_text
    assert "1 of 2 checked in" in edited_text
    assert sum(1 for b in edited["blocks"] if "accessory" in b) == 1
    check_in(
        app,
        {**bea_dm, "blocks": edited["blocks"]},
        0,
        {OkrField.VALUE: choice("1"), OkrField.CONFIDENCE: choice("on_track")},
    )
    fake.wait_for(lambda: len(edits_of(app, bea_dm)) == 2, what="DM edited again")

    clock.advance(timedelta(days=3))
    run_tick(app)
    run_tick(app)
    assert dm_count_by_channel(fake, FOLLOWED_UP) == {CAI_DM: 1}  # Bea answered both
    clock.advance(timedelta(days=1))
    run_tick(app)
    assert dm_count_by_channel(fake, FOLLOWED_UP) == {CAI_DM: 1}  # one nudge a week

    clock.advance(timedelta(days=3))  # Monday of the next week
    run_tick(app)
    assert dm_count_by_channel(fake, ASKED) == {BEA_DM: 2, CAI_DM: 2}
