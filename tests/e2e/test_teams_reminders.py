"""A review schedule's reminder reaches an action's owner as a proactive 1:1 message in
Teams, and the owner updates the action from it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.teams import tick
from models.actions.tables import Action, ActionStatus
from models.core.clock import FrozenClock
from tests.e2e.teamsreview import BEA, FACILITATOR, Review
from tests.fakeconnector import TENANT_ID
from tests.teamsdriver import CHANNEL, TeamsHarness


@pytest.fixture
def teams(database_url: str, clock: FrozenClock) -> Iterator[TeamsHarness]:
    with TeamsHarness(database_url, clock) as harness:
        yield harness


def test_a_reminder_reaches_the_owner_in_a_1to1_and_they_update_from_it(
    teams: TeamsHarness, clock: FrozenClock
) -> None:
    review = Review(teams)
    review.start("Checkout outage")
    for _ in range(4):
        review.press("Next")
    review.reply(
        f"action: add a canary stage {BEA.mention()[0]} by 2026-12-24",
        by=FACILITATOR,
        mentions=(BEA,),
    )
    review.reply(
        f"action: update the runbook {FACILITATOR.mention()[0]} by 2026-12-31",
        by=BEA,
        mentions=(FACILITATOR,),
    )
    # Bea has written where the app is, so it knows where to reach her.
    review.reply("I'll take it", by=BEA)
    teams.wait_until_processed()
    services, app = teams.services, teams.teams
    assert services is not None and app is not None
    before = len(teams.fake.sent())
    teams.send(teams.message("postmortem review set weekly friday 10:00 UTC", by=FACILITATOR))
    (schedule,) = teams.fake.wait_for(before + 1)[before:]
    assert (
        "Reviews here: " in schedule.card_text() and "Fri 27 Nov 2026 10:00" in schedule.card_text()
    )

    before = len(teams.fake.sent())
    for _ in range(14):  # the reminder falls due some days before the next meeting
        tick(app, services.meetings.plan)
        if any(s.kind == "create" for s in teams.fake.sent()[before:]):
            break
        clock.advance(timedelta(hours=12))
    sent = teams.fake.sent()[before:]
    (opened,) = [s for s in sent if s.kind == "create" and s.body["members"] == [{"id": BEA.id}]]
    (reminder,) = [s for s in sent if s.kind == "send" and s.conversation_id == opened.id]
    assert "update the runbook" not in reminder.card_text()  # Bea's own actions only
    assert "A review is coming up" in reminder.card_text()
    assert "add a canary stage" in reminder.card_text()

    (done,) = [
        a
        for block in reminder.card["body"]
        if block["type"] == "ActionSet"
        for a in block["actions"]
        if a["title"] == "Done"
    ]
    click = teams.message("", by=BEA, value=done["data"], reply_to=reminder.id)
    click["conversation"] = {"id": opened.id, "conversationType": "personal", "tenantId": TENANT_ID}
    before = len(teams.fake.sent())
    teams.send(click)
    (update,) = teams.fake.wait_for(before + 1)[before:]
    assert update.kind == "update" and update.activity_id == reminder.id
    assert update.conversation_id == opened.id
    with services.sessions() as session:
        statuses = {
            owner: status
            for owner, status in session.execute(select(Action.owner_id, Action.status))
        }
    assert statuses == {BEA.id: ActionStatus.DONE, FACILITATOR.id: ActionStatus.OPEN}

    # At the meeting, the agenda is posted in the channel, owners mentioned by name.
    before = len(teams.fake.sent())
    for _ in range(14):
        tick(app, services.meetings.plan)
        posts = [
            s
            for s in teams.fake.sent()[before:]
            if s.kind == "send" and s.conversation_id == CHANNEL
        ]
        if posts:
            break
        clock.advance(timedelta(hours=12))
    (agenda,) = posts
    text = agenda.card_text()
    assert "Review agenda" in text and "add a canary stage" in text  # done since
    assert "<at>Fay Kim</at> (1)" in text and "update the runbook" in text
    assert agenda.card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Fay Kim</at>",
            "mentioned": {"id": FACILITATOR.id, "name": "Fay Kim"},
        }
    ]
