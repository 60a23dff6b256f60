"""Follow-through in Slack: `/postmortem review`, `/actions`, and the update buttons on
reminder DMs and action listings (Done, In progress, Blocked, Change date, Add a note).

Each update edits the message it came from in place: chat.update for a DM the bot
posted, the response_url for an ephemeral listing (only it can replace those)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from handlers.slack.blocks import Message, read_object
from handlers.slack.deps import Deps
from handlers.slack.errors import acknowledge, on_button, replying_privately, wording
from handlers.slack.home import HomeTab
from handlers.slack.ids import ActionId, Command, Field, ViewId
from handlers.slack.markup import read
from handlers.slack.membership import Gate
from handlers.slack.reminders import Reminders
from handlers.slack.review_blocks import Intro, ReviewBlocks, read_update_value
from models.actions.updates import (
    LISTING_EDIT_DELIVERY,
    SHOWN_IN_REPLY,
    Change,
    ShownIn,
    Surface,
    Update,
    Updated,
)
from models.core.errors import InvalidInput, UserFacingError
from models.core.outbox import HOME_DELIVERY
from models.core.privacy import Viewer
from models.core.views import DeliveryView
from models.followup.cadence import parse_cadence
from models.followup.views import Scope, ScopeKind

_CHANGES = {
    ActionId.UPDATE_DONE: Change.DONE,
    ActionId.UPDATE_IN_PROGRESS: Change.IN_PROGRESS,
    ActionId.UPDATE_DATE: Change.DATE,
}
_CONVERSATION = re.compile(r"[CDG][A-Z0-9]{2,31}")
_TS = re.compile(r"\d{1,12}\.\d{1,8}")
ACTIONS_USAGE = (
    "Use `/actions` for yours, `/actions @someone` for theirs, `/actions overdue` or "
    "`/actions all` for this channel's."
)


def register(app: App, deps: Deps) -> None:
    handlers = ReviewHandlers(deps)
    deps.courier.add_sender(HOME_DELIVERY, handlers.publish_home)
    deps.courier.add_sender(LISTING_EDIT_DELIVERY, handlers.edit_listing)
    app.command(Command.ACTIONS)(acknowledge, handlers.run_actions_command)
    for action_id in _CHANGES:
        app.action(action_id)(acknowledge, on_button(handlers.update_from_button))
    app.action(ActionId.UPDATE_BLOCKED)(acknowledge, on_button(handlers.open_note_form))
    app.action(ActionId.UPDATE_NOTE)(acknowledge, on_button(handlers.open_note_form))
    app.view(ViewId.UPDATE_BLOCKED)(handlers.submit_note_form)
    app.view(ViewId.UPDATE_NOTE)(handlers.submit_note_form)
    Reminders(deps.clients, deps.services, handlers.blocks).register(deps.courier)


def run_review_command(deps: Deps, command: dict[str, Any], text: str, respond: Respond) -> None:
    """`/postmortem review [set ...|off]`."""
    verb, _, rest = text.strip().partition(" ")
    reviews, blocks = deps.services.meetings, ReviewBlocks(deps.blocks)
    where = {"team_id": command["team_id"], "channel_id": command["channel_id"]}
    match verb.lower():
        case "" | "show" | "status":
            respond(response_type="ephemeral", **blocks.schedule(reviews.schedule(**where)))
        case "set":
            workspace = deps.services.workspaces.settings(team_id=command["team_id"])
            cadence = parse_cadence(
                rest,
                default_timezone=workspace.timezone,
                today=deps.today(command["team_id"]),
                defaults=workspace.review,
            )
            view = reviews.set_schedule(**where, cadence=cadence, by_user=command["user_id"])
            respond(response_type="in_channel", **blocks.schedule(view, by_user=command["user_id"]))
        case "off" | "stop" | "remove":
            if not reviews.clear_schedule(**where):
                raise UserFacingError("This channel has no review schedule to remove.")
            respond(
                response_type="in_channel",
                **blocks.schedule(None, by_user=command["user_id"], removed=True),
            )
        case _:
            raise UserFacingError(
                "Use `/postmortem review` to see the schedule, "
                "`/postmortem review set monthly first tuesday 10:00 Europe/London` to set it, "
                "or `/postmortem review off` to remove it."
            )


class ReviewHandlers:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self.blocks = ReviewBlocks(deps.blocks)
        self._home = HomeTab(deps)
        self._gate = Gate(deps.services, deps.membership)

    def publish_home(self, delivery: DeliveryView) -> None:
        """Sends HOME_DELIVERY: the Home tab, built now, so it shows every change so far."""
        self._home.publish(team_id=delivery.team_id, user_id=delivery.recipient_id)

    def run_actions_command(
        self, ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        with replying_privately(command, client, respond):
            text, user = command.get("text", "").strip(), command["user_id"]
            if text.lower() == "help":
                respond(response_type="ephemeral", text=ACTIONS_USAGE)
                return
            scope, team_id = (
                _scope(text, user=user, channel=command["channel_id"]),
                command["team_id"],
            )
            member_of = None
            if scope.kind is ScopeKind.OWNER and scope.subject != user:
                # Someone else's actions may come from private channels the viewer is not in.
                member_of = self._viewer(client, team_id, user).member_of
            listing = self._deps.services.updates.listing(
                team_id=team_id, scope=scope, today=self._deps.today(team_id), member_of=member_of
            )
            respond(
                response_type="ephemeral",
                **self.blocks.action_list(listing, intro=Intro.LISTING, viewer=user),
            )

    def update_from_button(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        action_id, scope = read_update_value(action.get("value") or action.get("block_id"))
        change = _CHANGES[ActionId(action["action_id"])]
        team_id, user = body["team"]["id"], body["user"]["id"]
        container = body.get("container") or {}
        if (body.get("view") or {}).get("type") == "home":
            shown_in = ShownIn(Surface.HOME)
        elif container.get("is_ephemeral") and body.get("response_url"):
            shown_in = SHOWN_IN_REPLY
        else:
            shown_in = _shown_in_message(container.get("channel_id"), container.get("message_ts"))
        updated = self._update(
            client,
            team_id=team_id,
            action_id=action_id,
            user=user,
            update=Update(change, target_on=_picked(action.get("selected_date"))),
            scope=scope,
            shown_in=shown_in,
        )
        self._deps.courier.deliver_due(ids=updated.owed)
        if updated.listing is not None:
            message = self.blocks.action_list(updated.listing, intro=_intro(scope), viewer=user)
            # Only the response_url of this very request can replace an ephemeral listing,
            # so this reply is sent here, not owed: the app keeps no URL a request brought.
            WebhookClient(body["response_url"]).send(
                replace_original=True, text=message["text"], blocks=message["blocks"]
            )

    def open_note_form(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        value = action.get("value")
        action_id, scope = read_update_value(value)
        team_id, user = body["team"]["id"], body["user"]["id"]
        # Refuse before the form opens: an owner's form for someone else's action would
        # only be refused on submit, after the person had typed their note.
        self._deps.services.updates.authorise(
            team_id=team_id,
            action_id=action_id,
            by_user=user,
            scope=scope,
            member_of=self._viewer(client, team_id, user).member_of,
        )
        container = body.get("container") or {}
        # Where the listing is, to show the update there after the form. Never a URL: a
        # form's metadata comes back from the client, and the app must not follow it.
        context = {
            "v": value,
            "c": container.get("channel_id"),
            "t": container.get("message_ts"),
            "e": bool(container.get("is_ephemeral")),
            "h": (body.get("view") or {}).get("type") == "home",
        }
        client.views_open(
            trigger_id=body["trigger_id"],
            view=self.blocks.note_modal(
                blocked=action["action_id"] == ActionId.UPDATE_BLOCKED, context=context
            ),
        )

    def submit_note_form(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        with replying_privately(body, client):
            team_id, user = body["team"]["id"], body["user"]["id"]
            change = Change.BLOCKED if view["callback_id"] == ViewId.UPDATE_BLOCKED else Change.NOTE
            # Every answer, a refusal included, is given inside the ack (response_action=
            # errors): the only place a form can answer, next to the note.
            try:
                context = read_object(view.get("private_metadata"))
                action_id, scope = read_update_value(context.get("v"))
                note = _note(view)
                updated = self._update(
                    client,
                    team_id=team_id,
                    action_id=action_id,
                    user=user,
                    update=Update(change, note=note),
                    scope=scope,
                    shown_in=_shown_in_form(context),
                )
            except UserFacingError as error:
                ack(response_action="errors", errors={Field.NOTE: wording(error)})
                return
            ack()
            self._deps.courier.deliver_due(ids=updated.owed)
            if updated.listing is not None:
                message = self.blocks.action_list(updated.listing, intro=_intro(scope), viewer=user)
                self._post_privately(client, team_id, user, context["c"], message)

    def edit_listing(self, delivery: DeliveryView) -> None:
        """Sends LISTING_EDIT_DELIVERY: the listing, read now, in place of the old one."""
        payload, user = delivery.payload, delivery.recipient_id
        client = self._deps.clients.for_workspace(delivery.team_id)
        if payload["conversation_id"] != _dm(client, user):
            return  # not the owner's DM with the app: never edit a message the payload names
        member_of = payload.get("member_of")
        listing = self._deps.services.updates.listing(
            team_id=delivery.team_id,
            scope=Scope.decode(payload["scope"]),
            today=self._deps.today(delivery.team_id),
            member_of=None if member_of is None else frozenset(member_of),
        )
        client.chat_update(
            channel=payload["conversation_id"],
            ts=payload["message_ref"],
            **self.blocks.action_list(listing, intro=_intro(listing.scope), viewer=user),
        )

    def _post_privately(
        self, client: WebClient, team_id: str, user: str, channel: str, message: Message
    ) -> None:
        """A form cannot replace an ephemeral listing (that needs a URL, and none from a
        form is followed): a fresh ephemeral message, in a channel the user may read. It
        is posted here, not owed: an ephemeral message is seen once, by the person who
        submitted the form, and is not kept."""
        if channel != _dm(client, user):
            try:
                self._gate.channel(client, team_id=team_id, user_id=user, channel_id=channel)
            except UserFacingError:
                return
        client.chat_postEphemeral(channel=channel, user=user, **message)

    def _viewer(self, client: WebClient, team_id: str, user: str) -> Viewer:
        return self._gate.viewer(client, team_id=team_id, user_id=user)

    def _update(
        self,
        client: WebClient,
        *,
        team_id: str,
        action_id: int,
        user: str,
        update: Update,
        scope: Scope,
        shown_in: ShownIn,
    ) -> Updated:
        """The one service call of an update. Its refresh is owed where the listing is
        shown (the caller sends it), or returned when the caller's reply shows it."""
        return self._deps.services.updates.update(
            team_id=team_id,
            action_id=action_id,
            by_user=user,
            update=update,
            scope=scope,
            today=self._deps.today(team_id),
            member_of=self._viewer(client, team_id, user).member_of,
            shown_in=shown_in,
        )


def _intro(scope: Scope) -> Intro:
    return Intro.REMINDER if scope.kind is ScopeKind.MEETING else Intro.LISTING


def _shown_in_message(channel: Any, ts: Any) -> ShownIn:
    """A listing in a message, if the request names one in Slack's shapes; else nowhere
    to refresh. A form's metadata comes back from the client, so anything can be here."""
    if (
        isinstance(channel, str)
        and isinstance(ts, str)
        and _CONVERSATION.fullmatch(channel)
        and _TS.fullmatch(ts)
    ):
        return ShownIn(Surface.MESSAGE, channel, ts)
    return ShownIn(Surface.NONE)


def _shown_in_form(context: dict[str, Any]) -> ShownIn:
    """Where the listing a note form was opened from is shown, as the form's metadata
    says. Only places the user's own ids make safe: the Home tab, a channel the user may
    read (checked before the reply is posted), the user's DM (checked by the sender)."""
    if context.get("h") is True:
        return ShownIn(Surface.HOME)
    if context.get("e") is True:
        return SHOWN_IN_REPLY if isinstance(context.get("c"), str) else ShownIn(Surface.NONE)
    return _shown_in_message(context.get("c"), context.get("t"))


def _scope(text: str, *, user: str, channel: str) -> Scope:
    word = text.lower()
    if word in ("", "mine", "me"):
        return Scope(ScopeKind.OWNER, user)
    if word == "overdue":
        return Scope(ScopeKind.CHANNEL_OVERDUE, channel)
    if word == "all":
        return Scope(ScopeKind.CHANNEL, channel)
    said = read(text)
    if len(said.mentions) == 1 and said.mentions[0].end - said.mentions[0].start == len(said.text):
        return Scope(ScopeKind.OWNER, said.mentions[0].ref)
    raise UserFacingError(f"I don't know `{text[:40]}`. {ACTIONS_USAGE}")


def _dm(client: WebClient, user: str) -> str:
    return str(client.conversations_open(users=user)["channel"]["id"])


def _picked(value: Any) -> date | None:
    """A datepicker's choice. Slack sends real dates; anything else is refused politely."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("Pick a date from the calendar.", field="target_on") from None


def _note(view: dict[str, Any]) -> str | None:
    values = (view.get("state") or {}).get("values") or {}
    element = (values.get(Field.NOTE) or {}).get(Field.NOTE) or {}
    note = element.get("value") if isinstance(element, dict) else None
    return note if isinstance(note, str) else None
