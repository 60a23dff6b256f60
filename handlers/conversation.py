"""Replies in a post-mortem thread: recorded, edited and deleted as people do so."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.errors import tell_user
from handlers.ids import Event
from handlers.lessons import ReplyLessons
from handlers.slacktext import to_plain
from models.errors import UserFacingError
from models.quickform import quick_action_body
from models.views import ReplyOutcome

# Subtypes that are people writing; everything else (joins, bot posts, ...) is ignored.
HUMAN_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})


def register(app: App, deps: Deps) -> None:
    app.event(Event.MESSAGE)(ConversationHandlers(deps).on_message)


class ConversationHandlers:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._reply_lessons = ReplyLessons(deps)  # issue 4

    def on_message(self, event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        # Runs on an inbox worker (handlers/inbox.py). Only what the person should hear is
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
                message_ts=event["deleted_ts"],
                event_id=body.get("event_id"),
                thread_ts=(event.get("previous_message") or {}).get("thread_ts"),
                deleted_ts=event.get("event_ts") or event.get("ts"),
            )
        elif subtype in HUMAN_SUBTYPES and _is_human_reply(event):
            outcome = self._deps.services.postmortems.record_reply(
                team_id=body["team_id"],
                channel_id=event["channel"],
                thread_ts=event["thread_ts"],
                message_ts=event["ts"],
                author_id=event["user"],
                text=to_plain(event.get("text", "")),
                event_id=body.get("event_id"),
                today=self._deps.today(),
            )
            if outcome is not None:
                self._tell(outcome, client)
                self._reply_lessons.follow_up(client, outcome)

    def _edit(self, event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        message = event.get("message", {})
        if message.get("bot_id") or "user" not in message:
            return
        outcome = self._deps.services.postmortems.edit_reply(
            team_id=body["team_id"],
            channel_id=event["channel"],
            message_ts=message["ts"],
            text=to_plain(message.get("text", "")),
            event_id=body.get("event_id"),
            today=self._deps.today(),
            edited_ts=(message.get("edited") or {}).get("ts") or event.get("event_ts"),
            thread_ts=message.get("thread_ts"),
        )
        if outcome is not None and outcome.problem:
            self._tell(outcome, client)

    def _tell(self, outcome: ReplyOutcome, client: WebClient) -> None:
        postmortem, answer = outcome.postmortem, outcome.answer
        if outcome.nudge is not None:
            client.chat_postEphemeral(
                channel=postmortem.channel_id,
                user=answer.author_id,
                thread_ts=postmortem.thread_ts,
                **self._deps.blocks.coach_nudge(outcome.nudge),
            )
        if outcome.problem:
            client.chat_postEphemeral(
                channel=postmortem.channel_id,
                user=answer.author_id,
                thread_ts=postmortem.thread_ts,
                **self._deps.blocks.reply_problem(
                    outcome.problem,
                    postmortem_id=postmortem.id,
                    draft=quick_action_body(answer.text),
                ),
            )
        elif outcome.action is not None:
            client.chat_postMessage(
                channel=postmortem.channel_id,
                thread_ts=postmortem.thread_ts,
                **self._deps.blocks.action_added(outcome.action),
            )


def _is_human_reply(event: dict[str, Any]) -> bool:
    thread_ts = event.get("thread_ts")
    return (
        bool(thread_ts)
        and thread_ts != event.get("ts")
        and "user" in event
        and not event.get("bot_id")
    )
