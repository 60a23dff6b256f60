"""What a stored Teams activity means, run on an inbox worker after the 200.

The activity was verified (JWT, serviceUrl claim) before it was stored, so its tenant,
conversation and sender are the Bot Connector's word. What a click may do is still
decided from the database: a card's data name a review and a step, and the review must
be in the conversation the click came from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from handlers.teams import cards
from handlers.teams.cards import ActionId, Field
from handlers.teams.commands import COMMANDS, Command
from handlers.teams.connector import Connector, Target
from handlers.teams.errors import wording
from handlers.teams.membership import TeamsMembership
from handlers.teams.text import read
from models.actions.updates import Change, Update
from models.core.errors import InvalidInput, Reason, UserFacingError
from models.core.references import REF_LENGTH, Platform
from models.core.text import MESSAGE_LIMIT, clean_text
from models.followup.cadence import parse_cadence
from models.followup.views import Scope, ScopeKind
from models.lessons.library import parse_query, split_kind
from models.postmortems.phases import Phase
from models.postmortems.service import Move
from models.services import Services

log = logging.getLogger(__name__)

THREAD_MARK = ";messageid="
_MOVES = {
    ActionId.PHASE_NEXT: Move.NEXT,
    ActionId.PHASE_BACK: Move.BACK,
    ActionId.PHASE_SKIP: Move.SKIP,
}
# (the activity, its channel, the text after the command word)
CommandHandler = Callable[[dict[str, Any], str, str], None]
_UPDATES = {ActionId.ACTION_DONE: Change.DONE, ActionId.ACTION_IN_PROGRESS: Change.IN_PROGRESS}
LESSON_USAGE = "Say what kind of lesson: @Lessonloop lesson keep: … or lesson improve: …"
USAGE = (
    "Try @Lessonloop postmortem start <title> in a channel, lesson keep: …, "
    "lessons <words> or actions."
)


def tenant_of(activity: dict[str, Any]) -> str:
    data = activity.get("channelData") or {}
    tenant = (data.get("tenant") or {}).get("id") or (activity.get("conversation") or {}).get(
        "tenantId"
    )
    return str(tenant or "")


def split_conversation(conversation_id: str) -> tuple[str, str | None]:
    """A channel conversation id names the post whose replies it is: (channel, root)."""
    channel, _, root = conversation_id.partition(THREAD_MARK)
    return channel, root or None


def is_reply(activity: dict[str, Any]) -> bool:
    """A message in the reply chain of another post."""
    _, root = split_conversation(str((activity.get("conversation") or {}).get("id", "")))
    return root is not None and root != activity.get("id")


def is_addressed(activity: dict[str, Any]) -> bool:
    """Meant for the app: in a 1:1 chat with it, a card's button, or mentioning it."""
    if (activity.get("conversation") or {}).get("conversationType") == "personal":
        return True
    if isinstance(activity.get("value"), dict):
        return True
    bot_id = (activity.get("recipient") or {}).get("id")
    return any(
        isinstance(entity, dict)
        and entity.get("type") == "mention"
        and (entity.get("mentioned") or {}).get("id") == bot_id
        for entity in activity.get("entities") or []
    )


class Activities:
    def __init__(
        self,
        services: Services,
        connector: Connector,
        deliver_due: Callable[[int], object],
        today: Callable[[str], date],
        membership: TeamsMembership,
    ) -> None:
        self._services, self._connector, self._membership = services, connector, membership
        self._deliver_due, self._today = deliver_due, today

    def handle(self, activity: dict[str, Any]) -> None:
        kind = activity.get("type")
        if kind == "message":
            self._remember(activity)
            try:
                if isinstance(activity.get("value"), dict):
                    self._click(activity, activity["value"])
                else:
                    self._message(activity)
            except UserFacingError as error:
                self._tell(activity, wording(error))
        elif kind == "conversationUpdate":
            self._remember(activity)
            bot_id = (activity.get("recipient") or {}).get("id")
            added = activity.get("membersAdded") or []
            if any(isinstance(m, dict) and m.get("id") == bot_id for m in added):
                self._welcome(activity)
        elif kind == "messageUpdate":
            self._edited(activity)
        elif kind == "messageDelete":
            self._deleted(activity)

    def _remember(self, activity: dict[str, Any]) -> None:
        conversation = str((activity.get("conversation") or {}).get("id", ""))
        sender = str((activity.get("from") or {}).get("id", ""))
        channel, _ = split_conversation(conversation)
        self._services.addresses.remember(
            platform=Platform.TEAMS,
            team_id=tenant_of(activity),
            refs=tuple(ref for ref in (channel, sender) if ref),
            service_url=str(activity["serviceUrl"]),
            bot_ref=str((activity.get("recipient") or {}).get("id", "")),
            names=_name_of(sender, (activity.get("from") or {}).get("name")),
        )
        zone = activity.get("localTimezone")
        if sender and isinstance(zone, str) and zone:
            # Where the person is, as their Teams client says: nudges come in their hours.
            people, team_id = self._services.people, tenant_of(activity)
            if people.known_zone(team_id=team_id, user_id=sender) != (True, zone):
                people.remember_zone(team_id=team_id, user_id=sender, tz=zone[:64])

    def _message(self, activity: dict[str, Any]) -> None:
        conversation = str((activity.get("conversation") or {}).get("id", ""))
        channel, root = split_conversation(conversation)
        bot_id = str((activity.get("recipient") or {}).get("id", ""))
        said = read(activity.get("text"), activity.get("entities"), bot_id=bot_id)
        team_id, user = tenant_of(activity), str(activity["from"]["id"])
        if root is not None and is_reply(activity):
            outcome = self._services.postmortems.record_reply(
                team_id=team_id,
                channel_id=channel,
                thread_ref=root,
                message_ref=str(activity["id"]),
                said_at=_time(activity.get("timestamp")),
                author_id=user,
                said=said,
                platform=Platform.TEAMS,
                event_id=str(activity["id"]),
                today=self._today(team_id),
            )
            if outcome is not None:
                self._deliver_due(outcome.answer.id)
                return
            # Not a review's reply chain: a command there is answered like anywhere else.
        if not is_addressed(activity):
            return  # a channel post for people, not for the app (with RSC, Teams sends all)
        verb, _, rest = said.text.partition(" ")
        try:
            command = self.commands[Command(verb.lower())]
        except ValueError:
            self._tell(activity, USAGE)
            return
        command(activity, channel, rest.strip())

    @property
    def commands(self) -> dict[Command, CommandHandler]:
        """What each bot command in the app's manifest does (see handlers/teams/commands.py)."""
        return {
            Command.POSTMORTEM: self._postmortem,
            Command.LESSON: self._lesson,
            Command.LESSONS: self._lessons,
            Command.ACTIONS: self._actions,
        }

    def _lesson(self, activity: dict[str, Any], channel: str, rest: str) -> None:
        if (activity.get("conversation") or {}).get("conversationType") != "channel":
            raise UserFacingError("Save a lesson in the channel it belongs to.")
        kind, text = split_kind(rest)
        if kind is None:
            self._tell(activity, LESSON_USAGE)
            return
        capture = self._services.lessons.capture(
            team_id=tenant_of(activity),
            channel_id=channel,
            author_id=str(activity["from"]["id"]),
            text=text,
            kind=kind,
        )
        self._answer(activity, cards.lesson_saved(capture))

    def _lessons(self, activity: dict[str, Any], channel: str, rest: str) -> None:
        team_id = tenant_of(activity)
        query = parse_query(rest, today=self._today(team_id))
        if query.is_empty:
            raise UserFacingError(reason=Reason.SEARCH_EMPTY)
        # The person wrote from this conversation, so they are in it; of the others, those
        # Teams lists them in (models.core.privacy shows public ones to everybody).
        user = str(activity["from"]["id"])
        member_of = {channel} | self._membership.conversations_of(team_id=team_id, user_id=user)
        page = self._services.lessons.search(team_id=team_id, member_of=member_of, query=query)
        self._answer(activity, cards.lesson_results(page))

    def _actions(self, activity: dict[str, Any], channel: str, rest: str) -> None:
        team_id, user = tenant_of(activity), str(activity["from"]["id"])
        listing = self._services.updates.listing(
            team_id=team_id, scope=Scope(ScopeKind.OWNER, user), today=self._today(team_id)
        )
        self._answer(activity, cards.action_list(listing))

    def _postmortem(self, activity: dict[str, Any], channel: str, rest: str) -> None:
        sub, _, title = rest.partition(" ")
        if sub.lower() == "start":
            self._start(activity, channel, title)
        elif sub.lower() == "review" and title.lower().startswith("set"):
            self._set_review(activity, channel, title[3:].strip())
        else:
            self._tell(activity, USAGE)

    def _set_review(self, activity: dict[str, Any], channel: str, text: str) -> None:
        """`postmortem review set <cadence>`: when this channel reviews its actions."""
        if (activity.get("conversation") or {}).get("conversationType") != "channel":
            raise UserFacingError("Set a review schedule in the channel whose actions it reviews.")
        team_id = tenant_of(activity)
        workspace = self._services.workspaces.for_platform(Platform.TEAMS).settings(team_id=team_id)
        cadence = parse_cadence(
            text,
            default_timezone=workspace.timezone,
            today=self._today(team_id),
            defaults=workspace.review,
        )
        view = self._services.meetings.set_schedule(
            team_id=team_id,
            channel_id=channel,
            cadence=cadence,
            by_user=str(activity["from"]["id"]),
        )
        self._answer(activity, cards.schedule(view))

    def _start(self, activity: dict[str, Any], channel: str, title: str) -> None:
        if (activity.get("conversation") or {}).get("conversationType") != "channel":
            raise UserFacingError("Start a post-mortem in a channel, so the team can join in.")
        postmortem = self._services.postmortems.start(
            team_id=tenant_of(activity),
            channel_id=channel,
            title=title,
            facilitator_id=str(activity["from"]["id"]),
        )
        self._deliver_due(postmortem.id)

    def _click(self, activity: dict[str, Any], data: dict[str, Any]) -> None:
        try:
            action = ActionId(str(data.get("action")))
            if action in _UPDATES:
                self._update(activity, action, int(data["id"]))
                return
            postmortem_id, phase = int(data["postmortem_id"]), Phase(str(data["phase"]))
        except (KeyError, ValueError, TypeError):
            return  # not one of our buttons: nothing to do
        team_id, user = tenant_of(activity), str(activity["from"]["id"])
        channel, _ = split_conversation(str(activity["conversation"]["id"]))
        postmortems = self._services.postmortems
        postmortem = postmortems.get(team_id=team_id, postmortem_id=postmortem_id)
        if postmortem.channel_id != channel:
            log.warning("click on review %s from another conversation refused", postmortem_id)
            return
        clicked_at = _time(activity.get("timestamp"))
        if action is ActionId.ADD_ACTION:
            self._add_action(activity, postmortem_id, data)
            return
        if action is ActionId.CLOSE:
            postmortems.close(
                team_id=team_id, postmortem_id=postmortem_id, by_user=user, clicked_at=clicked_at
            )
        else:
            postmortems.move(
                team_id=team_id,
                postmortem_id=postmortem_id,
                from_phase=phase,
                move=_MOVES[action],
                by_user=user,
                clicked_at=clicked_at,
            )
        self._deliver_due(postmortem_id)

    def _add_action(
        self, activity: dict[str, Any], postmortem_id: int, data: dict[str, Any]
    ) -> None:
        """The Add action form: the owner picked must be a member of the review's channel
        (asked of Teams, which also turns a picked Entra object id into a Teams id)."""
        team_id, user = tenant_of(activity), str(activity["from"]["id"])
        channel, _ = split_conversation(str(activity["conversation"]["id"]))
        picked = str(data.get(Field.OWNER) or "").strip()
        owner = (
            self._connector.member(
                Target(str(activity["serviceUrl"]), channel), picked[:REF_LENGTH]
            )
            if picked
            else None
        )
        if owner is None:
            raise InvalidInput("Pick an owner who is in this team.", field=Field.OWNER)
        typed_date = str(data.get(Field.TARGET) or "").strip()
        try:
            target_on = date.fromisoformat(typed_date) if typed_date else None
        except ValueError:
            raise InvalidInput("Pick a target date.", field=Field.TARGET) from None
        added = self._services.actions.add(
            team_id=team_id,
            postmortem_id=postmortem_id,
            description=clean_text(str(data.get(Field.DESCRIPTION) or ""), limit=MESSAGE_LIMIT),
            owner_id=owner,
            target_on=target_on,
            lesson_id=None,
            created_by=user,
            today=self._today(team_id),
            announce=True,
        )
        self._deliver_due(added.id)

    def _update(self, activity: dict[str, Any], action: ActionId, action_id: int) -> None:
        """An owner's update from their listing: who may update is decided from the
        database (the action's owner), and the listing card is replaced with a fresh one."""
        team_id, user = tenant_of(activity), str(activity["from"]["id"])
        scope = Scope(ScopeKind.OWNER, user)
        updated = self._services.updates.update(
            team_id=team_id,
            action_id=action_id,
            by_user=user,
            update=Update(_UPDATES[action]),
            scope=scope,
            today=self._today(team_id),
        )
        listing = updated.listing or self._services.updates.listing(
            team_id=team_id, scope=scope, today=self._today(team_id)
        )
        card = activity.get("replyToId")
        target = Target(str(activity["serviceUrl"]), str(activity["conversation"]["id"]))
        if isinstance(card, str) and card:
            self._connector.update(target, card, cards.action_list(listing))
        else:
            self._answer(activity, cards.action_list(listing))

    def _welcome(self, activity: dict[str, Any]) -> None:
        target = Target(str(activity["serviceUrl"]), str(activity["conversation"]["id"]))
        help_lines = [(c.command.value, c.description) for c in COMMANDS]
        self._connector.send(target, cards.welcome(help_lines))
        if (activity.get("conversation") or {}).get("conversationType") == "personal":
            # In place of Slack's App Home: the person's own open actions, with the buttons
            # they update them with (the listing the `actions` command gives).
            team_id, user = tenant_of(activity), str(activity["from"]["id"])
            listing = self._services.updates.listing(
                team_id=team_id, scope=Scope(ScopeKind.OWNER, user), today=self._today(team_id)
            )
            self._connector.send(target, cards.action_list(listing))

    def _answer(self, activity: dict[str, Any], message: dict[str, Any]) -> None:
        """Answer in the conversation the request came from (in its reply chain)."""
        conversation = str(activity["conversation"]["id"])
        self._connector.reply(
            Target(service_url=str(activity["serviceUrl"]), conversation_id=conversation),
            str(activity["id"]),
            message,
        )

    def _edited(self, activity: dict[str, Any]) -> None:
        channel, root = split_conversation(str(activity["conversation"]["id"]))
        bot_id = str((activity.get("recipient") or {}).get("id", ""))
        team_id = tenant_of(activity)
        self._services.postmortems.edit_reply(
            team_id=team_id,
            channel_id=channel,
            message_ref=str(activity["id"]),
            said=read(activity.get("text"), activity.get("entities"), bot_id=bot_id),
            platform=Platform.TEAMS,
            event_id=f"edit:{activity['id']}:{activity.get('timestamp', '')}",
            today=self._today(team_id),
            edited_at=_time(activity.get("timestamp")),
            thread_ref=root,
        )

    def _deleted(self, activity: dict[str, Any]) -> None:
        channel, root = split_conversation(str(activity["conversation"]["id"]))
        self._services.postmortems.delete_reply(
            team_id=tenant_of(activity),
            channel_id=channel,
            message_ref=str(activity["id"]),
            platform=Platform.TEAMS,
            event_id=f"delete:{activity['id']}",
            thread_ref=root,
            deleted_at=_time(activity.get("timestamp")),
        )

    def _tell(self, activity: dict[str, Any], text: str) -> None:
        """Teams has no message only one person sees: the answer goes in the reply chain."""
        self._answer(activity, cards.notice(text))


def _name_of(ref: str, name: Any) -> dict[str, str]:
    """A display name to mention someone by: Teams' own, without markup characters."""
    if not ref or not isinstance(name, str):
        return {}
    cleaned = clean_text(name.replace("<", "").replace(">", ""), limit=200).strip()
    return {ref: cleaned} if cleaned else {}


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
