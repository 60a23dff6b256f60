"""A monthly review over signed HTTP on a frozen clock: the schedule, one reminder DM per
owner at T-7, clicks that update the action and edit the DM, a follow-up at T-1 only for
those who did not respond, and the agenda with its trend at T."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from handlers.slack.ids import ActionId, Field
from models.actions.tables import Action, ActionEvent, ActionStatus
from models.core.clock import FrozenClock
from tests.e2e.followthrough import (
    CHANNEL,
    FACILITATOR,
    buttons,
    dm_count_by_channel,
    dms,
    interact,
    pick_date,
    run_tick,
    seed_actions,
)
from tests.fakeslack import TEAM_ID
from tests.harness import AppHarness

BEA, CAI, DAN, EVE = "U0BEA0002", "U0CAI0003", "U0DAN0004", "U0EVE0005"
REVIEW_AT = datetime(2026, 12, 1, 10, tzinfo=UTC)  # first Tuesday of December, 10:00 London
TODAY = date(2026, 11, 20)


def test_monthly_review_reminds_collects_updates_follows_up_and_posts_the_agenda(
    app: AppHarness, clock: FrozenClock
) -> None:
    fake, driver = app.fake, app.driver
    set_cmd = "review set monthly first tuesday 10:00 Europe/London lead 7 followup 1"
    assert driver.command(set_cmd, user=FACILITATOR, channel=CHANNEL).status == 200
    announced = fake.wait_for(lambda: responses(app, "set this channel's review"))
    assert announced[0]["response_type"] == "in_channel"
    driver.command("review", user=BEA, channel=CHANNEL)
    shown = fake.wait_for(lambda: responses(app, "Next reviews"))[0]["text"]
    assert "Tue 01 Dec 2026 10:00, Tue 05 Jan 2027 10:00" in shown

    bea_1, bea_2, cai_1, dan_1 = seed_actions(app.services, [BEA, BEA, CAI, DAN], today=TODAY)
    seed_actions(app.services, [EVE], today=TODAY, channel="C0ELSEWHERE")

    run_tick(app)
    assert dms(fake) == []

    clock.set(REVIEW_AT - timedelta(days=7))
    run_tick(app)
    run_tick(app)
    reminder = "Your team's review is on"
    assert dm_count_by_channel(fake, reminder) == {"D0BEA0002": 1, "D0CAI0003": 1, "D0DAN0004": 1}
    # Eve's action elsewhere is overdue: a nudge, not a reminder. Bea, just reminded, gets none.
    assert dm_count_by_channel(fake, "past") == {"D0EVE0005": 1}
    bea_dm = dm_for(app, BEA)
    assert "Action 0 of U0BEA0002" in text_of(bea_dm) and "Action 1 of U0BEA0002" in text_of(bea_dm)
    assert "Action 2" not in text_of(bea_dm)

    # Bea: Done on the first, a note on the second. Each click edits her DM in place.
    done = buttons(bea_dm, ActionId.UPDATE_DONE)
    click(app, ActionId.UPDATE_DONE, done[0]["value"], user=BEA, dm=bea_dm)
    fake.wait_for(lambda: status_of(app, bea_1) is ActionStatus.DONE, what="bea_1 done")
    edited = fake.wait_for(lambda: updates_of(app, bea_dm), what="DM edited")[-1]
    assert edited["channel"] == "D0BEA0002"
    assert ":white_check_mark: *Action 0 of U0BEA0002*" in text_of(edited)
    assert len(buttons(edited, ActionId.UPDATE_DONE)) == 1  # only the open one has buttons

    note = buttons(edited, ActionId.UPDATE_NOTE)[0]
    click(app, ActionId.UPDATE_NOTE, note["value"], user=BEA, dm=bea_dm)
    form = fake.wait_for(lambda: fake.calls_to("views.open"), what="note form")[0]["view"]
    response = driver.submit_view(
        form, {Field.NOTE: {"type": "plain_text_input", "value": "Waiting on <!channel>"}}, user=BEA
    )
    assert response.status == 200
    fake.wait_for(lambda: len(updates_of(app, bea_dm)) == 2, what="DM edited again")
    assert ("note", BEA, "Waiting on <!channel>") in history(app, bea_2)

    # Cai cannot update Bea's action; he moves his own date with the picker.
    cai_dm = dm_for(app, CAI)
    click(app, ActionId.UPDATE_DONE, done[0]["value"], user=CAI, dm=cai_dm)
    refused = fake.wait_for(lambda: responses(app, "Only the action's owner"))
    assert refused[0]["response_type"] == "ephemeral"
    picker = buttons(cai_dm, ActionId.UPDATE_DATE)[0]
    pick_date(
        driver, picker, date(2026, 12, 18), user=CAI, channel="D0CAI0003", message_ts=cai_dm["ts"]
    )
    fake.wait_for(lambda: target_of(app, cai_1) == date(2026, 12, 18), what="new date")
    fake.wait_for(
        lambda: any("Fri 18 Dec 2026" in text_of(u) for u in updates_of(app, cai_dm)),
        what="Cai's DM shows the new date",
    )
    assert status_of(app, bea_2) is ActionStatus.OPEN

    # Blocked asks for the reason, and records it with the new status.
    blocked = buttons(cai_dm, ActionId.UPDATE_BLOCKED)[0]
    click(app, ActionId.UPDATE_BLOCKED, blocked["value"], user=CAI, dm=cai_dm)
    form = fake.wait_for(lambda: fake.calls_to("views.open")[1:], what="blocked form")[0]["view"]
    assert form["blocks"][0]["label"]["text"] == "What is blocking it?"
    empty = driver.submit_view(
        form, {Field.NOTE: {"type": "plain_text_input", "value": " "}}, user=CAI
    )
    assert b"response_action" in empty.body and b"errors" in empty.body
    driver.submit_view(
        form, {Field.NOTE: {"type": "plain_text_input", "value": "needs a DBA"}}, user=CAI
    )
    fake.wait_for(lambda: status_of(app, cai_1) is ActionStatus.BLOCKED, what="blocked")
    assert ("status", CAI, "needs a DBA") in history(app, cai_1)

    # The day before: only Dan, who did nothing, hears again.
    clock.set(REVIEW_AT - timedelta(days=1))
    run_tick(app)
    run_tick(app)
    followups = dms(fake, "no update yet")
    assert [p["channel"] for p in followups] == ["D0DAN0004"]
    assert "Action 3 of U0DAN0004" in text_of(followups[0])

    # At the review: the agenda, in the channel.
    clock.set(REVIEW_AT)
    run_tick(app)
    run_tick(app)
    agendas = [p for p in fake.calls_to("chat.postMessage") if p["channel"] == CHANNEL]
    assert len(agendas) == 1
    agenda = text_of(agendas[0])
    assert "Review agenda, Tue 01 Dec 2026 10:00" in agenda
    assert "3 open actions" in agenda and "first review with a count" in agenda
    assert "*Done since" in agenda and "Action 0 of U0BEA0002 (<@U0BEA0002>)" in agenda
    assert "*No update since the reminder:* <@U0DAN0004>" in agenda
    assert "Waiting on" not in agenda and "<!channel>" not in agenda
    assert "Action 0 of U0EVE0005" not in agenda
    assert dan_1


def test_actions_command_lists_mine_someones_and_the_channels_overdue(
    app: AppHarness, clock: FrozenClock
) -> None:
    seed_actions(app.services, [BEA, CAI], today=TODAY)
    clock.set(datetime(2026, 11, 23, 12, tzinfo=UTC))  # Bea's action (22nd) is overdue

    app.driver.command("", user=BEA, channel=CHANNEL, command="/actions")
    mine = app.fake.wait_for(lambda: responses(app, "Your open actions"))[0]
    assert mine["response_type"] == "ephemeral"
    assert "Action 0 of U0BEA0002" in text_of(mine) and "(*overdue*)" in text_of(mine)
    assert len(buttons(mine, ActionId.UPDATE_DONE)) == 1

    # Someone else's actions follow the channel's privacy: hidden while the channel's
    # privacy is unknown (it counts as private), shown once it is known to be public.
    app.driver.command(f"<@{CAI}|cai>", user=BEA, channel=CHANNEL, command="/actions")
    hidden = app.fake.wait_for(lambda: responses(app, "Open actions of <@U0CAI0003>"))[0]
    assert "Action 1 of U0CAI0003" not in text_of(hidden)
    app.services.lessons.remember_channel(
        team_id=TEAM_ID, channel_id=CHANNEL, name="ops", is_private=False
    )
    app.driver.command(f"<@{CAI}|cai>", user=BEA, channel=CHANNEL, command="/actions")
    theirs = app.fake.wait_for(lambda: responses(app, "Open actions of <@U0CAI0003>")[1:])[0]
    assert "Action 1 of U0CAI0003" in text_of(theirs)

    app.driver.command("overdue", user=CAI, channel=CHANNEL, command="/actions")
    overdue = app.fake.wait_for(lambda: responses(app, "Overdue actions from this channel"))[0]
    assert "Action 0 of U0BEA0002" in text_of(overdue)
    assert "Action 1 of U0CAI0003" not in text_of(overdue)

    app.driver.command("everything", user=CAI, channel=CHANNEL, command="/actions")
    assert app.fake.wait_for(lambda: responses(app, "I don't know `everything`"))

    # Done on the ephemeral listing replaces it through its response_url.
    done = buttons(mine, ActionId.UPDATE_DONE)[0]
    action = {"action_id": ActionId.UPDATE_DONE, "block_id": done["block_id"], "type": "button"}
    interact(
        app.driver,
        {**action, "value": done["value"]},
        user=BEA,
        channel=CHANNEL,
        message_ts="1700000009.000001",
        ephemeral=True,
    )
    replaced = app.fake.wait_for(
        lambda: [p for p in app.fake.calls_to("response_url") if p.get("replace_original")]
    )[0]
    assert "Your open actions* (0)" in text_of(replaced) and "Nothing open" in text_of(replaced)


def test_bad_review_setting_is_explained_privately_with_an_example(app: AppHarness) -> None:
    app.driver.command("review set monthly on the 31st", user=BEA, channel=CHANNEL)
    reply = app.fake.wait_for(lambda: responses(app, "from 1 to 28"))[0]
    assert reply["response_type"] == "ephemeral"
    assert "/postmortem review set monthly first tuesday" in reply["text"]
    assert app.services.meetings.schedule(team_id="T0TEAM01", channel_id=CHANNEL) is None


def responses(app: AppHarness, text: str) -> list[dict[str, Any]]:
    return [p for p in app.fake.calls_to("response_url") if text in text_of(p)]


def text_of(message: dict[str, Any]) -> str:
    sections = [
        b["text"]["text"] for b in message.get("blocks") or [] if b.get("type") == "section"
    ]
    return "\n".join([message.get("text", ""), *sections])


def dm_for(app: AppHarness, user: str) -> dict[str, Any]:
    return next(
        p for p in dms(app.fake, "Your team's review") if p["channel"] == "D" + user.lstrip("U")
    )


def updates_of(app: AppHarness, dm: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        u
        for u in app.fake.calls_to("chat.update")
        if u["channel"] == dm["channel"] and u["ts"] == dm["ts"]
    ]


def click(
    app: AppHarness, action_id: ActionId, value: str, *, user: str, dm: dict[str, Any]
) -> None:
    response = app.driver.click(
        action_id, value, user=user, channel=dm["channel"], message_ts=dm["ts"]
    )
    assert response.status == 200, response.body


def status_of(app: AppHarness, action_id: int) -> ActionStatus:
    with app.services.sessions() as session:
        return session.get_one(Action, action_id).status


def target_of(app: AppHarness, action_id: int) -> date | None:
    with app.services.sessions() as session:
        return session.get_one(Action, action_id).target_on


def history(app: AppHarness, action_id: int) -> list[tuple[str, str, str | None]]:
    with app.services.sessions() as session:
        rows = session.execute(
            select(ActionEvent.what, ActionEvent.actor_id, ActionEvent.note)
            .where(ActionEvent.action_id == action_id)
            .order_by(ActionEvent.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_owner_slack_cannot_reach_is_not_retried_and_is_named_in_the_agenda(
    app: AppHarness, clock: FrozenClock
) -> None:
    app.driver.command(
        "review set weekly tuesday 10:00 UTC lead 2", user=FACILITATOR, channel=CHANNEL
    )
    app.fake.wait_for(lambda: responses(app, "set this channel's review"))
    seed_actions(app.services, [BEA], today=TODAY)
    app.fake.fail_next("conversations.open", error="cannot_dm_bot")
    app.fake.fail_next("chat.postMessage", status=500, error="internal_error")

    clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC))  # the review is at 10:00: reminders due
    run_tick(app)
    clock.advance(timedelta(hours=1))
    run_tick(app)

    assert len(app.fake.calls_to("conversations.open")) == 1
    agenda = [p for p in app.fake.calls_to("chat.postMessage") if p["channel"] == CHANNEL]
    # The 500 hit the agenda's first post; slack-sdk's handler retried it once.
    assert len(agenda) == 2 and agenda[0]["text"] == agenda[1]["text"]
    assert "*I could not reach:* <@U0BEA0002> (`cannot_dm_bot`)" in text_of(agenda[1])
    assert dms(app.fake) == []
