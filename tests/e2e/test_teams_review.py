"""A whole review in a Teams channel with three people, over signed activities: started
with a mention, steps moved with the prompt cards' buttons, replies recorded per step
(an edit and a deletion included), closed with the summary and the owners' 1:1 messages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from models.actions.tables import Action
from models.core.clock import FrozenClock
from models.postmortems.phases import ORDER, Phase
from models.postmortems.tables import Answer, Postmortem, PostmortemStatus
from tests.fakeconnector import Sent
from tests.teamsdriver import CHANNEL, Person, TeamsHarness, now_stamp

FACILITATOR = Person("29:1fac" + "0" * 60, "Fay Kim")
BEA = Person("29:1bea" + "0" * 60, "Bea Ortiz")
CAI = Person("29:1cai" + "0" * 60, "Cai Lund")
PEOPLE = (FACILITATOR, BEA, CAI)


@pytest.fixture
def teams(database_url: str, clock: FrozenClock) -> Iterator[TeamsHarness]:
    with TeamsHarness(database_url, clock) as harness:
        yield harness


class Review:
    def __init__(self, teams: TeamsHarness) -> None:
        self.teams, self.fake = teams, teams.fake
        self.root = ""
        self.prompt: Sent | None = None

    def start(self, title: str) -> None:
        self.teams.send(self.teams.message(f"postmortem start {title}", by=FACILITATOR))
        root, prompt = self.fake.wait_for(2)[:2]
        assert root.kind == "send" and root.conversation_id == CHANNEL
        assert prompt.kind == "reply" and prompt.activity_id == root.id
        self.root, self.prompt = root.id, prompt

    def reply(self, text: str, *, by: Person, mentions: tuple[Person, ...] = ()) -> dict[str, Any]:
        return self.teams.send(self.teams.message(text, by=by, root=self.root, mentions=mentions))

    def press(self, title: str, *, by: Person = FACILITATOR, expect: int = 2) -> None:
        """Press a button of the latest prompt; `expect`: calls the app makes in answer."""
        assert self.prompt is not None
        # The test's clock stands still while Teams' timestamps move on, so a click would
        # take replies still queued into the next step: press once the replies are in, as
        # people do.
        self.teams.wait_until_processed()
        (button,) = [b for b in self.prompt.card["actions"] if b["title"] == title]
        before = len(self.fake.sent())
        self.teams.send(
            self.teams.message(
                "", by=by, root=self.root, value=button["data"], reply_to=self.prompt.id
            )
        )
        sent = self.fake.wait_for(before + expect)
        self.prompt = next((s for s in reversed(sent) if _is_prompt(s)), None)

    def records(self, entity: Any) -> list[Any]:
        assert self.teams.services is not None
        with self.teams.services.sessions() as session:
            return list(session.scalars(select(entity)))


def _is_prompt(sent: Sent) -> bool:
    return sent.kind == "reply" and any(
        a.get("title") == "Next" or a.get("title") == "Close review"
        for a in sent.card.get("actions", [])
    )


def test_whole_review_in_a_channel_ends_with_summary_owner_messages_and_records(
    teams: TeamsHarness,
) -> None:
    review = Review(teams)
    review.start("Checkout outage on 19 Nov")
    assert "Step 1 of 6" in review.prompt.card_text()  # type: ignore[union-attr]

    for person in PEOPLE:
        review.reply(f"Impact seen by {person.name}: checkout failed for 14% of users", by=person)
    edited = review.reply("Impact: a typo", by=BEA)
    teams.send(
        {
            **edited,
            "type": "messageUpdate",
            "timestamp": now_stamp(),
            "text": "<p>Impact: the mobile app failed too</p>",
        }
    )
    deleted = review.reply("Impact: wrong thread, sorry", by=CAI)
    teams.send({**deleted, "type": "messageDelete", "text": ""})
    review.press("Next")
    for i, person in enumerate(PEOPLE):
        review.reply(f"10:4{i} {person.name} saw the error rate climb", by=person)
    review.press("Next")
    for person in PEOPLE:
        review.reply(f"Keep: the rollback runbook worked ({person.name})", by=person)
    review.press("Next")
    review.reply("Improve: no canary stage for config changes", by=CAI)
    review.press("Next")
    review.reply(
        f"action: add a canary stage for config {BEA.mention()[0]} by 2026-12-04",
        by=FACILITATOR,
        mentions=(BEA,),
    )
    review.reply(
        f"action: alert on checkout error rate {CAI.mention()[0]} by 11 dec",
        by=BEA,
        mentions=(CAI,),
    )
    review.press("Next")
    assert "Step 6 of 6" in review.prompt.card_text()  # type: ignore[union-attr]
    review.reply("Thanks all", by=CAI)

    # Only the facilitator may close: Bea's press is answered in the chain, nothing closes.
    review.press("Close review", by=BEA, expect=1)
    assert "Only the facilitator" in teams.fake.sent()[-1].card_text()
    before = len(teams.fake.sent())
    # Closed prompt, summary, root marked closed, and per owner: a 1:1 opened and a message.
    review.press("Close review", expect=3 + 2 * 2)
    sent = teams.fake.sent()[before:]

    summary = next(s for s in sent if s.kind == "reply" and "Summary" in s.card_text())
    text = summary.card_text()
    assert "Checkout outage on 19 Nov" in text
    assert "Impact: the mobile app failed too" in text and "a typo" not in text
    assert "wrong thread" not in text
    assert "add a canary stage for config" in text
    root_update = next(s for s in sent if s.kind == "update" and s.activity_id == review.root)
    assert "(closed)" in root_update.card_text()
    opened = [s for s in sent if s.kind == "create"]
    assert sorted(s.body["members"][0]["id"] for s in opened) == sorted([BEA.id, CAI.id])
    assert all(s.body["tenantId"] for s in opened)
    notes = [s for s in sent if s.kind == "send" and s.conversation_id.startswith("a:")]
    assert len(notes) == 2
    assert {n.conversation_id for n in notes} == {s.id for s in opened}

    (postmortem,) = review.records(Postmortem)
    assert postmortem.status is PostmortemStatus.CLOSED
    answers = review.records(Answer)
    by_phase = {phase: [a for a in answers if a.phase is phase] for phase in ORDER}
    assert len(by_phase[Phase.IMPACT]) == 4  # three, plus Bea's edited one
    assert len(by_phase[Phase.TIMELINE]) == 3
    assert len(by_phase[Phase.WENT_WELL]) == 3
    actions = review.records(Action)
    assert sorted((a.owner_id, str(a.target_on)) for a in actions) == [
        (BEA.id, "2026-12-04"),
        (CAI.id, "2026-12-11"),
    ]
    assert teams.fake.unauthorised == 0
