"""Lessons at any moment (`/lesson`, message shortcuts), the library (`/lessons`) and App Home.

Every surface that shows lessons passes the viewer's private channels (Membership) to the
library, which filters in SQL; see models/lessons/library.py for the rule.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.slack.blocks import ID_LIMIT, UNREADABLE, Message, read_id, read_object
from handlers.slack.channel_privacy import ChannelPrivacy
from handlers.slack.deps import Deps
from handlers.slack.errors import acknowledge, replying_privately, wording
from handlers.slack.home import HomeTab
from handlers.slack.ids import ActionId, Command, Event, Field, Shortcut, ViewId
from handlers.slack.lesson_blocks import RUNNING_LOG, LessonBlocks, read_page_value
from handlers.slack.markup import read, read_plain
from handlers.slack.membership import Gate
from models.core.errors import InvalidInput, Reason, StaleRequest, UserFacingError
from models.core.views import DeliveryView
from models.lessons.library import (
    SIMILAR_NOTE_DELIVERY,
    Capture,
    Recurrence,
    parse_query,
    read_tags,
    split_kind,
)
from models.lessons.tables import LessonKind

log = logging.getLogger(__name__)

_KINDS = {ActionId.LESSON_KEEP: LessonKind.KEEP, ActionId.LESSON_IMPROVE: LessonKind.IMPROVE}
_FORM_FIELDS = {
    "text": Field.LESSON_TEXT,
    "kind": Field.LESSON_KIND,
    "postmortem": Field.LESSON_REVIEW,
}

PrivateWork = Callable[[dict[str, Any], dict[str, Any], WebClient, Respond], None]


def register(app: App, deps: Deps) -> None:
    handlers = LessonHandlers(deps)
    deps.courier.add_sender(SIMILAR_NOTE_DELIVERY, ReplyLessons(deps).send_captured_note)
    app.command(Command.LESSON)(acknowledge, handlers.capture_command)
    app.command(Command.LESSONS)(acknowledge, handlers.search_command)
    for action_id in _KINDS:
        app.action(action_id)(acknowledge, replying_in_place(handlers.choose_kind))
    app.action(ActionId.LESSON_UNDO)(acknowledge, replying_in_place(handlers.undo))
    app.action(ActionId.LESSONS_PAGE)(acknowledge, replying_in_place(handlers.turn_page))
    app.shortcut(Shortcut.SAVE_LESSON)(acknowledge, handlers.open_form)
    app.shortcut(Shortcut.ADD_TO_TIMELINE)(acknowledge, handlers.open_form)
    app.view(ViewId.LESSON_SAVE)(handlers.submit_form)
    app.view(ViewId.TIMELINE_ADD)(handlers.submit_form)
    app.event(Event.APP_HOME_OPENED)(handlers.publish_home)


def replying_in_place(work: PrivateWork) -> Callable[..., None]:
    """Like errors.on_button, for buttons on ephemeral messages that answer by replacing
    the message through its response_url."""

    def listener(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        with replying_privately(body, client, respond):
            work(body, action, client, respond)

    return listener


class LessonHandlers:
    def __init__(self, deps: Deps) -> None:
        self._deps, self._membership = deps, deps.membership
        self._lessons = deps.services.lessons
        self._privacy = ChannelPrivacy(deps.services.lessons)
        self._blocks = LessonBlocks(deps.blocks.templates)
        self._home = HomeTab(deps)
        self._gate = Gate(deps.services, deps.membership)

    def capture_command(
        self, ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        with replying_privately(command, client, respond):
            text = read_plain(command.get("text", "")).strip()
            if text.lower() in ("", "help"):
                respond(response_type="ephemeral", **self._blocks.help())
                return
            team_id, channel_id, user = (
                command["team_id"],
                command["channel_id"],
                command["user_id"],
            )
            self._privacy.require(client, team_id=team_id, channel_id=channel_id)
            kind, text = split_kind(text)
            if kind is None:
                draft_id = self._lessons.draft(
                    team_id=team_id, channel_id=channel_id, author_id=user, text=text
                )
                respond(
                    response_type="ephemeral",
                    **self._blocks.kind_question(text=text, draft_id=draft_id),
                )
                return
            capture = self._lessons.capture(
                team_id=team_id, channel_id=channel_id, author_id=user, text=text, kind=kind
            )
            respond(response_type="ephemeral", **self._blocks.saved(capture))
            self._note_similar(capture)

    def choose_kind(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        capture = self._lessons.capture_draft(
            team_id=body["team"]["id"],
            draft_id=read_id(action.get("value")),
            kind=_KINDS[ActionId(action["action_id"])],
            by_user=body["user"]["id"],
        )
        respond(replace_original=True, **self._blocks.saved(capture))
        self._note_similar(capture)

    def undo(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        self._lessons.undo(
            team_id=body["team"]["id"],
            lesson_id=read_id(action.get("value")),
            by_user=body["user"]["id"],
        )
        respond(replace_original=True, text=":wastebasket: Lesson removed.")

    def search_command(
        self, ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        with replying_privately(command, client, respond):
            text = command.get("text", "").strip()
            if text.lower() in ("", "help"):
                respond(response_type="ephemeral", **self._blocks.help())
                return
            respond(
                response_type="ephemeral",
                **self._search(client, command["team_id"], command["user_id"], text, 0),
            )

    def turn_page(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        # The search runs again with the clicking user's own privacy; the value only
        # carries the words and where the page starts.
        offset, text = read_page_value(action.get("value"))
        page = self._search(client, body["team"]["id"], body["user"]["id"], text, offset)
        respond(replace_original=True, **page)

    def _search(
        self, client: WebClient, team_id: str, user_id: str, text: str, offset: int
    ) -> dict[str, Any]:
        query = parse_query(read(text), today=self._deps.today(team_id))
        if query.is_empty:
            raise UserFacingError(reason=Reason.SEARCH_EMPTY)
        member_of = self._membership.private_channels(client, team_id=team_id, user_id=user_id)
        page = self._lessons.search(
            team_id=team_id, member_of=member_of, query=query, offset=offset
        )
        return dict(self._blocks.results(page))

    def open_form(
        self, ack: Ack, shortcut: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        with replying_privately(shortcut, client, respond):
            team_id, channel_id = shortcut["team"]["id"], shortcut["channel"]["id"]
            user = shortcut["user"]["id"]
            self._privacy.require(client, team_id=team_id, channel_id=channel_id)
            # The form lists the channel's open reviews: only for people who may read it.
            self._gate.channel(client, team_id=team_id, user_id=user, channel_id=channel_id)
            message = shortcut["message"]
            view_id = (
                ViewId.LESSON_SAVE
                if shortcut["callback_id"] == Shortcut.SAVE_LESSON
                else ViewId.TIMELINE_ADD
            )
            kind, text = split_kind(read_plain(message.get("text", "")))
            client.views_open(
                trigger_id=shortcut["trigger_id"],
                view=self._blocks.save_modal(
                    view_id=view_id,
                    text=text,
                    kind=kind,
                    postmortems=self._lessons.open_postmortems(
                        team_id=team_id, channel_id=channel_id
                    ),
                    # No permalink: it is asked of Slack again on submit, as a URL that
                    # came back in a form's metadata is never trusted.
                    # Nor the message's author: who is recorded comes from the verified
                    # user of the submission, never from the form's metadata.
                    metadata={"c": channel_id, "ts": message["ts"]},
                ),
            )

    def submit_form(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        with replying_privately(body, client):
            values = view["state"]["values"]
            team_id, user = body["team"]["id"], body["user"]["id"]
            confirmation: Message
            # Every answer, a refusal included, is given inside the ack (response_action=
            # errors); the metadata naming the channel and message is not trusted.
            try:
                context = _form_context(view.get("private_metadata"))
                self._gate.channel(client, team_id=team_id, user_id=user, channel_id=context.c)
                where = {
                    "team_id": team_id,
                    "channel_id": context.c,
                    "postmortem_id": _chosen(values),
                    "source_ref": context.ts,
                    "source_permalink": self._permalink(client, context),
                }
                text = _text(_value(values, Field.LESSON_TEXT, "value"))
                if view["callback_id"] == ViewId.LESSON_SAVE:
                    capture = self._lessons.save_from_message(
                        **where,
                        author_id=user,
                        text=text,
                        kind=_kind(values),
                        tags=read_tags(_text(_value(values, Field.LESSON_TAGS, "value"))),
                    )
                    confirmation = self._blocks.saved(capture)
                else:
                    occurred_at = datetime.fromtimestamp(float(context.ts), UTC)
                    postmortem = self._lessons.add_to_timeline(
                        **where,
                        text=text,
                        occurred_at=occurred_at,
                        author_id=user,
                        added_by=user,
                    )
                    capture = None
                    local = occurred_at.astimezone(self._deps.zone(team_id))
                    confirmation = self._blocks.timeline_added(
                        postmortem=postmortem, text=text, at=f"{local:%H:%M, %a %d %b}"
                    )
            except UserFacingError as error:
                field = _FORM_FIELDS.get(getattr(error, "field", ""), Field.LESSON_TEXT)
                ack(response_action="errors", errors={field: wording(error)})
                return
            ack()
            # Posted here, not owed: an ephemeral confirmation is seen once, by the person
            # who submitted the form, of their own action; Slack keeps no copy to retry into.
            client.chat_postEphemeral(channel=context.c, user=user, **confirmation)
            if capture is not None:
                self._note_similar(capture)

    def _permalink(self, client: WebClient, context: FormContext) -> str | None:
        try:
            found = client.chat_getPermalink(channel=context.c, message_ts=context.ts)
        except SlackApiError as error:
            if error.response.get("error") in ("message_not_found", "channel_not_found"):
                raise StaleRequest(GONE) from error
            raise
        return found.get("permalink") or None

    def publish_home(self, event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        # Publishing the same view again is harmless, so a redelivered event needs no
        # de-duplication: the latest publish wins.
        if event.get("tab", "home") != "home":
            return
        with replying_privately(body, client):
            self._home.publish(team_id=body["team_id"], user_id=event["user"])

    def _note_similar(self, capture: Capture) -> None:
        """The "seen before" note is owed with the lesson (SIMILAR_NOTE_DELIVERY) when
        there is one; send it now."""
        if capture.similar.seen:
            self._deps.courier.deliver_due(subject_id=capture.lesson.id)


class ReplyLessons:
    """The "seen N times before" note owed for a lesson recorded from a reply in a review's
    thread (an outbox delivery, see models.postmortems): the channel's privacy is learned
    first if unknown, as the note may only cite what everyone there may read."""

    def __init__(self, deps: Deps) -> None:
        self._services, self._clients = deps.services, deps.clients
        self._privacy = ChannelPrivacy(deps.services.lessons)
        self._blocks = LessonBlocks(deps.blocks.templates)

    def send_note(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        postmortem, _ = self._services.postmortems.reply(
            team_id=delivery.team_id, answer_id=delivery.subject_id
        )
        self._note(
            postmortem.team_id,
            postmortem.channel_id,
            postmortem.thread_ref,
            int(delivery.payload["lesson_id"]),
        )

    def send_captured_note(self, delivery: DeliveryView) -> None:
        """Sends SIMILAR_NOTE_DELIVERY, for a lesson saved by `/lesson` or a shortcut."""
        assert delivery.subject_id is not None
        thread_ts = delivery.payload.get("thread_ref")
        self._note(
            delivery.team_id,
            delivery.recipient_id,
            thread_ts if isinstance(thread_ts, str) else None,
            delivery.subject_id,
        )

    def _note(self, team_id: str, channel_id: str, thread_ts: str | None, lesson_id: int) -> None:
        lessons, client = self._services.lessons, self._clients.for_workspace(team_id)
        if lessons.channel(team_id=team_id, channel_id=channel_id) is None:
            self._privacy.look_up_quietly(client, team_id=team_id, channel_id=channel_id)
        # Counted again when sent: a lesson undone since has nothing to say.
        similar = lessons.similar_to(team_id=team_id, lesson_id=lesson_id)
        note_similar(client, self._blocks, channel_id, thread_ts, similar)


def note_similar(
    client: WebClient,
    blocks: LessonBlocks,
    channel_id: str,
    thread_ts: str | None,
    similar: Recurrence,
) -> None:
    """Say in the thread (or the channel, for the running log) that this was seen before;
    the library only cites lessons everyone in this channel may see."""
    if not similar.seen:
        return
    try:
        client.chat_postMessage(channel=channel_id, thread_ts=thread_ts, **blocks.similar(similar))
    except SlackApiError as error:  # best effort: the bot may not be in the channel
        log.warning("could not post a similar-lessons note: %s", error.response.get("error"))


GONE = "I can't find that message any more."


@dataclass(frozen=True, slots=True)
class FormContext:
    """The message a lesson or timeline form was opened on, read from private_metadata."""

    c: str
    ts: str


_TS = re.compile(r"\d{1,12}\.\d{1,8}")


def _form_context(metadata: Any) -> FormContext:
    context = read_object(metadata)
    channel, ts = context.get("c"), context.get("ts")
    if not (isinstance(channel, str) and isinstance(ts, str) and _TS.fullmatch(ts)):
        raise StaleRequest(UNREADABLE)
    return FormContext(channel, ts)


def _chosen(values: Any) -> int | None:
    """The review a form chose, or None for the channel's running log."""
    review = _value(values, Field.LESSON_REVIEW, "selected_option")
    chosen = review.get("value", RUNNING_LOG) if isinstance(review, dict) else RUNNING_LOG
    if chosen == RUNNING_LOG:
        return None
    if not (isinstance(chosen, str) and chosen.isascii() and chosen.isdigit()):
        raise InvalidInput(PICK_REVIEW, field="postmortem")
    if not 0 < int(chosen) < ID_LIMIT:
        raise InvalidInput(PICK_REVIEW, field="postmortem")
    return int(chosen)


def _kind(values: Any) -> LessonKind:
    kind = _value(values, Field.LESSON_KIND, "selected_option")
    try:
        return LessonKind(str(kind.get("value")) if isinstance(kind, dict) else "")
    except ValueError:
        raise InvalidInput("Pick keep doing or improve.", field="kind") from None


PICK_REVIEW = "Pick a review from the list, or the running log."


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _value(values: Any, field: Field, key: str) -> Any:
    block = values.get(field) if isinstance(values, dict) else None
    element = block.get(field) if isinstance(block, dict) else None
    return element.get(key) if isinstance(element, dict) else None
