"""Drives one review through the real server the way people in a Teams channel would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.fakeconnector import Sent
from tests.teamsdriver import CHANNEL, Person, TeamsHarness

FACILITATOR = Person("29:1fac" + "0" * 60, "Fay Kim")
BEA = Person("29:1bea" + "0" * 60, "Bea Ortiz")
CAI = Person("29:1cai" + "0" * 60, "Cai Lund")
PEOPLE = (FACILITATOR, BEA, CAI)


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

    def add_action(
        self, description: str, *, owner: Person, target_on: str, by: Person, expect: int = 1
    ) -> None:
        """Fill in the Add action form of the latest prompt: the people picker gives the
        owner's Entra object id."""
        assert self.prompt is not None
        self.teams.wait_until_processed()
        (form,) = [b for b in self.prompt.card["actions"] if b["type"] == "Action.ShowCard"]
        data = {
            **form["card"]["actions"][0]["data"],
            "description": description,
            "owner": owner.object_id,
            "target_on": target_on,
        }
        before = len(self.fake.sent())
        self.teams.send(
            self.teams.message("", by=by, root=self.root, value=data, reply_to=self.prompt.id)
        )
        self.fake.wait_for(before + expect)

    def records(self, entity: Any) -> list[Any]:
        assert self.teams.services is not None
        with self.teams.services.sessions() as session:
            return list(session.scalars(select(entity)))


def _is_prompt(sent: Sent) -> bool:
    return sent.kind == "reply" and any(
        a.get("title") == "Next" or a.get("title") == "Close review"
        for a in sent.card.get("actions", [])
    )
