"""Replies in a post-mortem thread: recorded, edited and deleted as people do so."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from handlers.slack.blocks import Message
from handlers.slack.deps import Deps
from handlers.slack.errors import tell_user, word
from handlers.slack.ids import Event
from handlers.slack.lessons import ReplyLessons
from handlers.slack.markup import read
from handlers.slack.messages import time_of
from models.coach import assess
from models.core.errors import UserFacingError
from models.core.references import Platform
from models.core.views import DeliveryView
from models.postmortems.quickform import quick_action_body
from models.postmortems.service import (
    ACTION_ADDED_DELIVERY,
    COACH_NUDGE_DELIVERY,
    LESSON_NOTE_DELIVERY,
    REPLY_PROBLEM_DELIVERY,
)
from models.postmortems.views import AnswerView, PostmortemView

# Subtypes that are people writing; everything else (joins, bot posts, ...) is ignored.
HUMAN_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})


def register(app: App, deps: Deps) -> None:
    app.event(Event.MESSAGE)(ConversationHandlers(deps).on_message)


def register_senders(deps: Deps) -> None:
    """How what a reply owes is sent (see models.postmortems.service._owe_follow_ups)."""
    senders = ReplySenders(deps)
    courier = deps.courier
    courier.add_sender(COACH_NUDGE_DELIVERY, senders.nudge)
    courier.add_sender(REPLY_PROBLEM_DELIVERY, senders.problem)
    courier.add_sender(ACTION_ADDED_DELIVERY, senders.action_added)
    courier.add_sender(LESSON_NOTE_DELIVERY, ReplyLessons(deps).send_note)


class ConversationHandlers:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def on_message(self, event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        # Runs on an inbox worker (handlers/slack/inbox.py). Only what the person should hear is
        # told to them; anything else propagates, and the stored event is tried again.
        try:
            self._route(event, body, client)
        except UserFacingError as error:
            tell_user(error, body, client, None)

    def _route(self, event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        subtype = event.get("subtype")
        if subtype == "message_changed":
            self._edit(event, body, client)
        elif subtype == "message_deleted":
            self._deps.services.postmortems.delete_reply(
                team_id=body["team_id"],
                channel_id=event["channel"],
                message_ref=event["deleted_ts"],
                platform=Platform.SLACK,
                event_id=body.get("event_id"),
                thread_ref=(event.get("previous_message") or {}).get("thread_ts"),
                deleted_at=time_of(event.get("event_ts") or event.get("ts")),
            )
        elif subtype in HUMAN_SUBTYPES and _is_human_reply(event):
            outcome = self._deps.services.postmortems.record_reply(
                team_id=body["team_id"],
                channel_id=event["channel"],
                thread_ref=event["thread_ts"],
                message_ref=event["ts"],
                said_at=time_of(event["ts"]),
                author_id=event["user"],
                said=read(event.get("text", "")),
                platform=Platform.SLACK,
                event_id=body.get("event_id"),
                today=self._deps.today(body["team_id"]),
            )
            if outcome is not None:
                self._deps.courier.deliver_due(subject_id=outcome.answer.id)

    def _edit(self, event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        message = event.get("message", {})
        if message.get("bot_id") or "user" not in message:
            return
        outcome = self._deps.services.postmortems.edit_reply(
            team_id=body["team_id"],
            channel_id=event["channel"],
            message_ref=message["ts"],
            said=read(message.get("text", "")),
            platform=Platform.SLACK,
            event_id=body.get("event_id"),
            today=self._deps.today(body["team_id"]),
            edited_at=time_of((message.get("edited") or {}).get("ts") or event.get("event_ts")),
            thread_ref=message.get("thread_ts"),
        )
        if outcome is not None and outcome.problem:
            self._deps.courier.deliver_due(subject_id=outcome.answer.id)


class ReplySenders:
    """Sends what a reply owes, each part on its own (a failure retries only that part)."""

    def __init__(self, deps: Deps) -> None:
        self._services, self._blocks, self._clients = deps.services, deps.blocks, deps.clients

    def nudge(self, delivery: DeliveryView) -> None:
        postmortem, answer = self._reply(delivery)
        verdict = assess(answer.text)
        if verdict.blames:  # the reply may have been edited since
            self._privately(postmortem, answer, self._blocks.coach_nudge(verdict))

    def problem(self, delivery: DeliveryView) -> None:
        postmortem, answer = self._reply(delivery)
        message = self._blocks.reply_problem(
            _problem_wording(delivery.payload),
            postmortem_id=postmortem.id,
            draft=quick_action_body(answer.text),
        )
        self._privately(postmortem, answer, message)

    def action_added(self, delivery: DeliveryView) -> None:
        postmortem, _ = self._reply(delivery)
        action = self._services.actions.get(
            team_id=delivery.team_id, action_id=int(delivery.payload["action_id"])
        )
        if action is not None:  # the reply may have stopped being an action since
            self._clients.for_workspace(delivery.team_id).chat_postMessage(
                channel=postmortem.channel_id,
                thread_ts=postmortem.thread_ref,
                **self._blocks.action_added(action),
            )

    def _reply(self, delivery: DeliveryView) -> tuple[PostmortemView, AnswerView]:
        assert delivery.subject_id is not None
        return self._services.postmortems.reply(
            team_id=delivery.team_id, answer_id=delivery.subject_id
        )

    def _privately(self, postmortem: PostmortemView, answer: AnswerView, message: Message) -> None:
        self._clients.for_workspace(postmortem.team_id).chat_postEphemeral(
            channel=postmortem.channel_id,
            user=answer.author_id,
            thread_ts=postmortem.thread_ref,
            **message,
        )


def _is_human_reply(event: dict[str, Any]) -> bool:
    thread_ts = event.get("thread_ts")
    return (
        bool(thread_ts)
        and thread_ts != event.get("ts")
        and "user" in event
        and not event.get("bot_id")
    )


def _problem_wording(payload: dict[str, Any]) -> str:
    if "params" not in payload:  # owed before problems were stored as a reason
        return str(payload["problem"])
    return word(str(payload["problem"]), payload["params"])
