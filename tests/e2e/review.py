"""Drives one review through the real app the way people in Slack would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from handlers.slack.ids import ActionId, Field
from handlers.slack.markup import read_plain
from models.actions.tables import Action
from models.lessons.tables import Lesson
from models.postmortems.tables import Answer, Postmortem
from templates import escape_mrkdwn
from tests.harness import AppHarness
from tests.slackdriver import SlackDriver

CHANNEL = "C0INCIDENT"
FACILITATOR, BEA, CAI = "U0FACIL01", "U0BEA0002", "U0CAI0003"


class Review:
    def __init__(
        self,
        app: AppHarness,
        *,
        channel: str = CHANNEL,
        deliver_twice: bool = False,
        driver: SlackDriver | None = None,
    ):
        self.app, self.channel, self.deliver_twice = app, channel, deliver_twice
        self.thread_ts = ""
        self._driver = driver

    @property
    def driver(self) -> SlackDriver:
        """Requests come from this driver's workspace; by default the harness's own (a
        restart gives the harness a new one)."""
        return self._driver or self.app.driver

    @property
    def fake(self) -> Any:
        return self.app.fake

    def start(self, title: str, *, user: str = FACILITATOR) -> None:
        # Buttons act only for people who may read the review's channel (issue 10), so the
        # fake workspace must know it: public, unless a test has set it up otherwise.
        if self.channel not in self.fake.channels:
            self.fake.add_channel(self.channel, "incidents", members=(FACILITATOR, BEA, CAI))
        response = self.driver.command(f"start {title}", user=user, channel=self.channel)
        assert response.status == 200, response.body
        root = self.fake.wait_for(
            lambda: [
                p
                for p in self.fake.calls_to("chat.postMessage")
                if p["channel"] == self.channel
                and "thread_ts" not in p
                and escape_mrkdwn(read_plain(title)) in p["text"]
            ],
            what="root message",
        )[-1]
        self.thread_ts = root["ts"]
        self.wait_for_prompt("Step 1 of 6")

    def prompts(self) -> list[dict[str, Any]]:
        return [
            p
            for p in self.fake.posts_in_thread(self.channel, self.thread_ts)
            if any(b["type"] == "actions" for b in p["blocks"])
        ]

    def wait_for_prompt(self, step: str) -> dict[str, Any]:
        return self.fake.wait_for(
            lambda: next((p for p in reversed(self.prompts()) if step in p["text"]), None),
            what=f"prompt {step!r}",
        )

    def button(self, prompt: dict[str, Any], action_id: ActionId) -> dict[str, Any]:
        for block in prompt["blocks"]:
            for element in block.get("elements", []):
                if element.get("action_id") == action_id:
                    return element
        raise AssertionError(f"no {action_id} button on prompt {prompt['text'][:40]!r}")

    def press(self, step: str, action_id: ActionId, *, user: str = FACILITATOR) -> Any:
        prompt = self.wait_for_prompt(step)
        button = self.button(prompt, action_id)
        response = self.driver.click(
            action_id,
            button["value"],
            user=user,
            channel=self.channel,
            message_ts=prompt["ts"],
            thread_ts=self.thread_ts,
        )
        assert response.status == 200, response.body
        return button

    def next_step(self, number: int) -> None:
        """Press Next on step `number` and wait for the next prompt, as a person would."""
        self.press(f"Step {number} of 6", ActionId.PHASE_NEXT)
        self.wait_for_prompt(f"Step {number + 1} of 6")

    def reply(self, text: str, *, user: str) -> str:
        ts, event_id, response = self.driver.reply(
            text, user=user, channel=self.channel, thread_ts=self.thread_ts
        )
        assert response.status == 200, response.body
        if self.deliver_twice:
            again = self.driver.reply(
                text,
                user=user,
                channel=self.channel,
                thread_ts=self.thread_ts,
                ts=ts,
                event_id=event_id,
                retry_num=1,
            )[2]
            assert again.status == 200
        self.fake.wait_for(lambda: self.answer_exists(ts), what=f"answer {text[:30]!r}")
        return ts

    def answer_exists(self, ts: str) -> bool:
        with self.app.services.sessions() as session:
            return session.scalar(select(Answer.id).where(Answer.message_ref == ts)) is not None

    def postmortem(self) -> Postmortem:
        with self.app.services.sessions() as session:
            return session.scalars(
                select(Postmortem).where(Postmortem.thread_ref == self.thread_ts)
            ).one()

    def count(self, entity: Any) -> int:
        postmortem_id = self.postmortem().id
        with self.app.services.sessions() as session:
            return session.scalar(
                select(func.count())
                .select_from(entity)
                .where(entity.postmortem_id == postmortem_id)
            )

    def add_action_with_modal(
        self, description: str, *, owner: str, date: str, by: str, lesson: bool = True
    ) -> None:
        before = len(self.fake.calls_to("views.open"))
        self.press("Step 5", ActionId.ADD_ACTION, user=by)
        opened = self.fake.wait_for(
            lambda: self.fake.calls_to("views.open")[before:], what="modal"
        )[0]
        view = opened["view"]
        values: dict[str, Any] = {
            Field.DESCRIPTION: {"type": "plain_text_input", "value": description},
            Field.OWNER: {"type": "users_select", "selected_user": owner},
            Field.TARGET: {"type": "datepicker", "selected_date": date},
        }
        if lesson:
            options = next(b for b in view["blocks"] if b["block_id"] == Field.LESSON)["element"][
                "options"
            ]
            values[Field.LESSON] = {"type": "static_select", "selected_option": options[-1]}
        response = self.driver.submit_view(view, values, user=by)
        assert response.status == 200, response.body
        assert response.body in (b"", b"{}") or b"errors" not in response.body, response.body


def counts(review: Review) -> dict[str, int]:
    return {
        "answers": review.count(Answer),
        "lessons": review.count(Lesson),
        "actions": review.count(Action),
    }
