"""Follow-through in Slack: `/postmortem review`, `/actions`, and the update buttons on
reminder DMs and action listings (Done, In progress, Blocked, Change date, Add a note).

Each update edits the message it came from in place: chat.update for a DM the bot
posted, the response_url for an ephemeral listing (only it can replace those)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from handlers.blocks import Message
from handlers.deps import Deps
from handlers.errors import on_button, replying_privately
from handlers.home import HomeTab
from handlers.ids import ActionId, Command, Field, ViewId
from handlers.reminders import Reminders
from handlers.review_blocks import Intro, ReviewBlocks, read_update_value
from models.cadence import parse_cadence
from models.errors import UserFacingError
from models.review_views import Scope, ScopeKind
from models.updates import Change, Update

_CHANGES = {
    ActionId.UPDATE_DONE: Change.DONE,
    ActionId.UPDATE_IN_PROGRESS: Change.IN_PROGRESS,
    ActionId.UPDATE_DATE: Change.DATE,
}
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
ACTIONS_USAGE = (
    "Use `/actions` for yours, `/actions @someone` for theirs, `/actions overdue` or "
    "`/actions all` for this channel's."
)


def register(app: App, deps: Deps) -> None:
    handlers = ReviewHandlers(deps)
    app.command(Command.ACTIONS)(handlers.run_actions_command)
    for action_id in _CHANGES:
        app.action(action_id)(on_button(handlers.update_from_button))
    app.action(ActionId.UPDATE_BLOCKED)(on_button(handlers.open_note_form))
    app.action(ActionId.UPDATE_NOTE)(on_button(handlers.open_note_form))
    app.view(ViewId.UPDATE_BLOCKED)(handlers.submit_note_form)
    app.view(ViewId.UPDATE_NOTE)(handlers.submit_note_form)
    Reminders(app.client, deps.services, handlers.blocks).register(deps.courier)


def run_review_command(deps: Deps, command: dict[str, Any], text: str, respond: Respond) -> None:
    """`/postmortem review [set ...|off]`."""
    verb, _, rest = text.strip().partition(" ")
    reviews, blocks = deps.services.reviews, ReviewBlocks(deps.blocks)
    where = {"team_id": command["team_id"], "channel_id": command["channel_id"]}
    match verb.lower():
        case "" | "show" | "status":
            respond(response_type="ephemeral", **blocks.schedule(reviews.schedule(**where)))
        case "set":
            cadence = parse_cadence(rest, default_timezone=deps.timezone.key, today=deps.today())
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
                member_of = self._deps.membership.private_channels(
                    client, team_id=team_id, user_id=user
                )
            listing = self._deps.services.updates.listing(
                team_id=team_id, scope=scope, today=self._deps.today(), member_of=member_of
            )
            respond(
                response_type="ephemeral",
                **self.blocks.action_list(listing, intro=Intro.LISTING, viewer=user),
            )

    def update_from_button(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        action_id, scope = read_update_value(action.get("value") or action["block_id"])
        change = _CHANGES[ActionId(action["action_id"])]
        picked = action.get("selected_date")
        message = self._update(
            team_id=body["team"]["id"],
            action_id=action_id,
            user=body["user"]["id"],
            update=Update(change, target_on=date.fromisoformat(picked) if picked else None),
            scope=scope,
        )
        self._replace(client, _origin(body), message)

    def open_note_form(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        value = action["value"]
        read_update_value(value)  # a bad value fails here, not after the form
        context = {"v": value, **_origin(body)}
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
            context = json.loads(view["private_metadata"])
            action_id, scope = read_update_value(context["v"])
            note = view["state"]["values"].get(Field.NOTE, {}).get(Field.NOTE, {}).get("value")
            change = Change.BLOCKED if view["callback_id"] == ViewId.UPDATE_BLOCKED else Change.NOTE
            # Validation answers inside the ack (response_action=errors), so the update
            # comes first; it is one short transaction.
            try:
                message = self._update(
                    team_id=body["team"]["id"],
                    action_id=action_id,
                    user=body["user"]["id"],
                    update=Update(change, note=note),
                    scope=scope,
                )
            except UserFacingError as error:
                # Shown in the form, next to the note: the only place a modal can answer.
                ack(response_action="errors", errors={Field.NOTE: str(error)})
                return
            ack()
            self._replace(client, context, message)

    def _replace(self, client: WebClient, origin: dict[str, Any], message: Message) -> None:
        """Show the update where it was clicked: the Home tab is published again, an
        ephemeral listing replaced through its response_url, a DM edited in place."""
        if origin.get("h"):
            self._home.publish(client, team_id=origin["team"], user_id=origin["user"])
        elif origin.get("e") and origin.get("u"):
            WebhookClient(origin["u"]).send(
                replace_original=True, text=message["text"], blocks=message["blocks"]
            )
        elif origin.get("c") and origin.get("t"):
            client.chat_update(channel=origin["c"], ts=origin["t"], **message)

    def _update(
        self, *, team_id: str, action_id: int, user: str, update: Update, scope: Scope
    ) -> Message:
        listing = self._deps.services.updates.update(
            team_id=team_id,
            action_id=action_id,
            by_user=user,
            update=update,
            scope=scope,
            today=self._deps.today(),
        )
        intro = Intro.REMINDER if scope.kind is ScopeKind.REVIEW else Intro.LISTING
        return self.blocks.action_list(listing, intro=intro, viewer=user)


def _scope(text: str, *, user: str, channel: str) -> Scope:
    word = text.lower()
    if word in ("", "mine", "me"):
        return Scope(ScopeKind.OWNER, user)
    if word == "overdue":
        return Scope(ScopeKind.CHANNEL_OVERDUE, channel)
    if word == "all":
        return Scope(ScopeKind.CHANNEL, channel)
    if mention := _MENTION.fullmatch(text):
        return Scope(ScopeKind.OWNER, mention[1])
    raise UserFacingError(f"I don't know `{text[:40]}`. {ACTIONS_USAGE}")


def _origin(body: dict[str, Any]) -> dict[str, Any]:
    """Where the clicked message is, so that it can be edited after a form, too."""
    container = body.get("container", {})
    return {
        "c": container.get("channel_id"),
        "t": container.get("message_ts"),
        "e": bool(container.get("is_ephemeral")),
        "u": body.get("response_url"),
        "h": (body.get("view") or {}).get("type") == "home",
        "team": body["team"]["id"],
        "user": body["user"]["id"],
    }
