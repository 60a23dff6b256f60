"""`lesson`, `lessons` and `actions` as Teams bot commands, and an owner updating an action
from the listing card's buttons."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models.actions.tables import Action, ActionStatus
from models.core.clock import FrozenClock
from models.lessons.tables import Lesson, LessonKind
from tests.e2e.teamsreview import BEA, CAI, FACILITATOR, Review
from tests.fakeconnector import TENANT_ID, Sent
from tests.teamsdriver import BOT, CHANNEL, Person, TeamsHarness


@pytest.fixture
def teams(database_url: str, clock: FrozenClock) -> Iterator[TeamsHarness]:
    with TeamsHarness(database_url, clock) as harness:
        yield harness


def _answer_to(teams: TeamsHarness, activity: dict[str, object]) -> str:
    before = len(teams.fake.sent())
    teams.send(activity)
    return teams.fake.wait_for_reply(str(activity["id"]), after=before).card_text()


def test_a_lesson_is_saved_from_a_channel_and_found_by_searching(teams: TeamsHarness) -> None:
    text = _answer_to(
        teams, teams.message("lesson improve: **feature flags** need an <at>owner</at>", by=BEA)
    )
    assert "Saved a lesson (improve)" in text
    assert teams.services is not None
    with teams.services.sessions() as session:
        (lesson,) = session.scalars(select(Lesson))
    assert lesson.kind is LessonKind.IMPROVE
    assert lesson.text == "**feature flags** need an @owner"
    assert lesson.channel_id == CHANNEL and lesson.team_id == TENANT_ID

    found = _answer_to(teams, teams.message("lessons feature flags", by=FACILITATOR))
    assert "Lessons found: 1" in found and "**feature flags** need an @owner" in found
    nothing = _answer_to(teams, teams.message("lessons canary", by=FACILITATOR))
    assert "Lessons found: 0" in nothing


def test_a_lesson_without_a_kind_asks_for_one(teams: TeamsHarness) -> None:
    text = _answer_to(teams, teams.message("lesson flags need owners", by=BEA))
    assert "keep:" in text and "improve:" in text


def test_owners_list_their_actions_and_update_them_from_the_card(teams: TeamsHarness) -> None:
    review = Review(teams)
    review.start("Checkout outage")
    for _ in range(4):
        review.press("Next")
    review.reply(
        f"action: add a canary stage {BEA.mention()[0]} by 2026-12-04",
        by=FACILITATOR,
        mentions=(BEA,),
    )
    teams.wait_until_processed()

    listing_request = teams.message("actions", by=BEA)
    before = len(teams.fake.sent())
    teams.send(listing_request)
    (listing,) = teams.fake.wait_for(before + 1)[before:]
    assert "Your open actions: 1" in listing.card_text()
    assert "add a canary stage" in listing.card_text()
    (done,) = [
        a
        for block in listing.card["body"]
        if block["type"] == "ActionSet"
        for a in block["actions"]
        if a["title"] == "Done"
    ]

    # Someone else pressing Done on Bea's card changes nothing.
    before = len(teams.fake.sent())
    teams.send(
        teams.message(
            "", by=FACILITATOR, root=listing_request["id"], value=done["data"], reply_to=listing.id
        )
    )
    refused = teams.fake.wait_for(before + 1)[before:]
    assert refused[0].kind == "reply"
    assert teams.services is not None
    with teams.services.sessions() as session:
        assert session.scalars(select(Action.status)).one() is ActionStatus.OPEN

    before = len(teams.fake.sent())
    teams.send(
        teams.message(
            "", by=BEA, root=listing_request["id"], value=done["data"], reply_to=listing.id
        )
    )
    (update,) = teams.fake.wait_for(before + 1)[before:]
    assert update.kind == "update" and update.activity_id == listing.id
    assert "Your open actions: 0" in update.card_text()
    with teams.services.sessions() as session:
        action = session.scalars(select(Action)).one()
    assert action.status is ActionStatus.DONE
    assert action.target_on == date(2026, 12, 4)


def test_the_app_added_to_a_team_says_what_it_does(teams: TeamsHarness) -> None:
    installed = teams.message("", by=FACILITATOR)
    installed |= {
        "type": "conversationUpdate",
        "conversation": {"id": CHANNEL, "conversationType": "channel", "tenantId": TENANT_ID},
        "membersAdded": [{"id": installed["recipient"]["id"]}],
    }
    installed.pop("text")
    teams.send(installed)
    (welcome,) = teams.fake.wait_for(1)
    assert welcome.kind == "send" and welcome.conversation_id == CHANNEL
    assert "postmortem" in welcome.card_text() and "actions" in welcome.card_text()

    # Someone else joining the team is not welcomed by the app.
    joined = {**installed, "id": "f:2", "membersAdded": [{"id": BEA.id}]}
    teams.send(joined)
    teams.wait_until_processed()
    assert len(teams.fake.sent()) == 1


def test_the_app_added_in_personal_scope_lists_the_persons_open_actions(
    teams: TeamsHarness,
) -> None:
    review = Review(teams)
    review.start("Checkout outage")
    for _ in range(4):
        review.press("Next")
    review.reply(
        f"action: add a canary stage {BEA.mention()[0]} by 2026-12-04",
        by=FACILITATOR,
        mentions=(BEA,),
    )
    teams.wait_until_processed()
    chat = "a:1bea-personal-chat"

    def installed_by(person: Person, activity_id: str) -> list[Sent]:
        added = teams.message("", by=person)
        added |= {
            "id": activity_id,
            "type": "conversationUpdate",
            "conversation": {"id": chat, "conversationType": "personal", "tenantId": TENANT_ID},
            "membersAdded": [{"id": added["recipient"]["id"]}],
        }
        added.pop("text")
        before = len(teams.fake.sent())
        teams.send(added)
        return teams.fake.wait_for(before + 2)[before:]

    welcome, listing = installed_by(BEA, "f:bea")
    assert (welcome.kind, listing.kind) == ("send", "send")
    assert welcome.conversation_id == listing.conversation_id == chat
    assert "postmortem" in welcome.card_text()
    assert "Your open actions: 1" in listing.card_text()
    assert "add a canary stage" in listing.card_text()
    assert any(block["type"] == "ActionSet" for block in listing.card["body"])

    _, nothing = installed_by(CAI, "f:cai")
    assert "Your open actions: 0" in nothing.card_text()
    assert "add a canary stage" not in nothing.card_text()


def test_lessons_of_another_channel_are_found_only_by_its_members(
    teams: TeamsHarness, clock: FrozenClock
) -> None:
    other = "19:9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a@thread.tacv2"
    teams.fake.add_member(BEA.id, BEA.object_id, of=(CHANNEL, other))
    teams.fake.add_member(FACILITATOR.id, FACILITATOR.object_id, of=(CHANNEL, other))
    teams.fake.add_member(CAI.id, CAI.object_id, of=(CHANNEL,))
    _answer_to(teams, teams.message("lesson keep: pin the canary config", by=BEA, channel=other))

    assert "Lessons found: 1" in _answer_to(teams, teams.message("lessons canary", by=FACILITATOR))
    assert "Lessons found: 0" in _answer_to(teams, teams.message("lessons canary", by=CAI))
    calls = teams.fake.roster_calls
    assert calls == 2  # each channel's roster asked once, then cached
    _answer_to(teams, teams.message("lessons canary", by=FACILITATOR))
    assert teams.fake.roster_calls == calls
    clock.advance(timedelta(minutes=6))
    _answer_to(teams, teams.message("lessons canary", by=FACILITATOR))
    assert teams.fake.roster_calls == calls + 2


def test_a_command_in_a_reply_chain_that_is_no_review_is_answered(teams: TeamsHarness) -> None:
    post = teams.message("", by=BEA)
    post["entities"], post["text"] = [], "<p>anyone seen the canary fail?</p>"
    teams.send(post)
    addressed = teams.message(
        f"{BOT.mention()[0]} lesson keep: canaries catch it",
        by=BEA,
        root=post["id"],
        mentions=(BOT,),
    )
    text = _answer_to(teams, addressed)
    assert "Saved a lesson (keep)" in text
