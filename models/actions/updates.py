"""Owners updating their actions (done, in progress, blocked, new date, a note), the
listings those updates are made from, and overdue nudges."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from models.actions.tables import NUDGE_EVERY, NUDGED, Action, ActionEvent, ActionStatus
from models.actions.views import ActionView
from models.core.clock import Clock
from models.core.errors import InvalidInput, NotAllowed, Reason, StaleRequest
from models.core.outbox import owe_home, owe_latest
from models.core.privacy import Viewer, may_read_channel, readable_channel
from models.core.references import REF_LENGTH
from models.core.text import MESSAGE_LIMIT, clean_text
from models.followup.tables import MeetingItem, ReviewMeeting
from models.followup.views import SHOWN_PER_LISTING, ListingView, Scope, ScopeKind
from models.jira.owing import NO_JIRA, JiraOwed

NOTE_MAX = 500
NOT_OWNER = (
    "Only the action's owner can update it. If it should be yours, ask the "
    "owner or the review's facilitator to hand it over."
)

# A listing in a person's DM with the app, edited in place to show an update.
LISTING_EDIT_DELIVERY = "actions.listing_edit"
# As wide as a stored reference: a longer one names no message the app posted.
REFERENCE_MAX = REF_LENGTH


class Change(StrEnum):
    DONE = "done"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DATE = "date"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Update:
    change: Change
    note: str | None = None
    target_on: date | None = None


class Surface(StrEnum):
    """Where the listing an update was made from is shown, so the refresh goes there."""

    HOME = "home"  # the person's Home tab: a fresh one is owed
    MESSAGE = "message"  # a message the app posted: an edit of it is owed
    REPLY = "reply"  # the request's own reply (ephemeral): the listing is returned
    NONE = "none"  # nowhere the app can reach: nothing to refresh


@dataclass(frozen=True, slots=True)
class ShownIn:
    surface: Surface
    conversation_id: str | None = None
    message_ref: str | None = None  # the platform's reference of the message, to edit it


SHOWN_IN_REPLY = ShownIn(Surface.REPLY)


@dataclass(frozen=True, slots=True)
class Updated:
    """An update recorded: the refreshed listing when the front end shows it itself
    (Surface.REPLY), and the deliveries it owes (to be sent at once)."""

    listing: ListingView | None
    owed: tuple[int, ...]


_STATUS = {
    Change.DONE: ActionStatus.DONE,
    Change.IN_PROGRESS: ActionStatus.IN_PROGRESS,
    Change.BLOCKED: ActionStatus.BLOCKED,
}


class MeetingListings(Protocol):
    """What a reminder for a review meeting listed (follow-through's use case, handed in
    by models/services.py so that actions never import follow-through's services)."""

    def listed(self, *, team_id: str, review_id: int, owner_id: str) -> ListingView: ...


class ActionUpdates:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        meetings: MeetingListings,
        jira: JiraOwed = NO_JIRA,
    ) -> None:
        self._sessions, self._clock, self._meetings = sessions, clock, meetings
        self._jira = jira

    def update(
        self,
        *,
        team_id: str,
        action_id: int,
        by_user: str,
        update: Update,
        scope: Scope,
        today: date,
        member_of: Collection[str] = frozenset(),
        shown_in: ShownIn = SHOWN_IN_REPLY,
    ) -> Updated:
        """Record the owner's update (who, when, old and new) and, in the same transaction,
        owe the refresh of the listing it was made from where that listing is shown
        (`shown_in`); a listing in the request's own reply is returned instead. `scope`
        came in a button value, so it is authorised like the request that first showed
        it; `member_of` (the private channels Slack says the user is in) decides that, and
        without it only public channels are listed."""
        note = _validate_note(update)
        now = self._clock.now()
        with self._sessions.begin() as session:
            action = _owned(session, team_id, action_id, by_user)
            shown_from = self._authorise(session, team_id, by_user, scope, member_of)
            if update.change is Change.DATE:
                if update.target_on is None or update.target_on < today:
                    raise InvalidInput("Pick a date that is today or later.", field="target_on")
                action.record(
                    what="target",
                    by=by_user,
                    at=now,
                    old=str(action.target_on) if action.target_on else None,
                    new=str(update.target_on),
                )
                action.target_on = update.target_on
            elif update.change is Change.NOTE:
                action.record(what="note", by=by_user, at=now, note=note)
            else:
                status = _STATUS[update.change]
                if status is action.status and note is None:
                    # Pressing the state it is already in still says "I looked at this".
                    action.record(what="status", by=by_user, at=now, new=status.value)
                action.change_status(status, by=by_user, at=now, note=note)
            # Jira gets the latest status and date, and each note as a comment.
            if update.change is not Change.NOTE:
                self._jira.action_changed(session, action, now)
            if note is not None:
                self._jira.action_noted(session, action, now, note=note, by_user=by_user)
            owed = _owe_refresh(session, action, scope, shown_from, shown_in, now)
        if shown_in.surface is not Surface.REPLY:
            return Updated(None, owed)
        listing = self.listing(team_id=team_id, scope=scope, today=today, member_of=shown_from)
        return Updated(listing, owed)

    def authorise(
        self,
        *,
        team_id: str,
        action_id: int,
        by_user: str,
        scope: Scope,
        member_of: Collection[str] = frozenset(),
    ) -> None:
        """What `update` checks before it changes anything, for a form opened first."""
        with self._sessions() as session:
            _owned(session, team_id, action_id, by_user)
            self._authorise(session, team_id, by_user, scope, member_of)

    def _authorise(
        self,
        session: Session,
        team_id: str,
        by_user: str,
        scope: Scope,
        member_of: Collection[str],
    ) -> Collection[str] | None:
        """Whether the listing named by `scope` may be shown to `by_user`, by the rules of
        the surfaces that list actions; returns the `member_of` filter its refresh needs
        (None: the user's own actions, all of which they may see)."""
        viewer = Viewer(team_id, by_user, frozenset(member_of))
        match scope.kind:
            case ScopeKind.MEETING if scope.subject == by_user and _reminded_or_readable(
                session, viewer, scope.review_id
            ):
                return None
            case ScopeKind.OWNER | ScopeKind.OWNER_OVERDUE if scope.subject == by_user:
                return None
            case ScopeKind.OWNER | ScopeKind.OWNER_OVERDUE:
                return member_of  # as `/actions @someone`: only channels the user may read
            case ScopeKind.CHANNEL | ScopeKind.CHANNEL_OVERDUE if may_read_channel(
                session, viewer, team_id, scope.subject
            ):
                return member_of
        # A reminder of someone else, or a channel the user may not read: the same words
        # as for a listing that never existed.
        raise StaleRequest(reason=Reason.OLD_LISTING)

    def listing(
        self,
        *,
        team_id: str,
        scope: Scope,
        today: date,
        member_of: Collection[str] | None = None,
    ) -> ListingView:
        """The actions in scope, overdue first. With `member_of` (the viewer's private
        channels), only actions of channels the viewer may read: someone else's actions can
        come from private channels the viewer is not in."""
        if scope.kind is ScopeKind.MEETING:
            assert scope.review_id is not None
            return self._meetings.listed(
                team_id=team_id, review_id=scope.review_id, owner_id=scope.subject
            )
        query = select(Action).where(Action.team_id == team_id, Action.open_clause())
        match scope.kind:
            case ScopeKind.OWNER:
                query = query.where(Action.owner_id == scope.subject)
            case ScopeKind.OWNER_OVERDUE:
                query = query.where(Action.owner_id == scope.subject, Action.overdue_clause(today))
            case ScopeKind.CHANNEL:
                query = query.where(Action.channel_id == scope.subject)
            case ScopeKind.CHANNEL_OVERDUE:
                query = query.where(
                    Action.channel_id == scope.subject, Action.overdue_clause(today)
                )
        if member_of is not None:
            query = query.where(readable_channel(Action.team_id, Action.channel_id, member_of))
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                # Earliest date first puts the overdue first; undated last.
                query.order_by(Action.target_on.is_(None), Action.target_on, Action.id).limit(
                    SHOWN_PER_LISTING
                )
            ).all()
            return ListingView(
                scope=scope, actions=tuple(ActionView.of(r) for r in rows), today=today, total=total
            )

    def overdue_to_nudge(self, *, team_id: str, owner_id: str, today: date) -> ListingView:
        """The owner's overdue actions that were not nudged in the last week."""
        week_ago = self._clock.now() - NUDGE_EVERY
        nudged = select(ActionEvent.action_id).where(
            ActionEvent.what == NUDGED, ActionEvent.at > week_ago
        )
        with self._sessions() as session:
            rows = session.scalars(
                select(Action)
                .where(
                    Action.team_id == team_id,
                    Action.owner_id == owner_id,
                    Action.overdue_clause(today),
                    Action.id.not_in(nudged),
                )
                .order_by(Action.target_on, Action.id)
                .limit(SHOWN_PER_LISTING)
            ).all()
            return ListingView(
                scope=Scope(ScopeKind.OWNER_OVERDUE, owner_id),
                actions=tuple(ActionView.of(r) for r in rows),
                today=today,
                total=len(rows),
            )

    def record_nudges(self, *, team_id: str, action_ids: list[int]) -> None:
        """Nudges go into each action's history; they are not updates by the owner."""
        if not action_ids:
            return
        now = self._clock.now()
        with self._sessions.begin() as session:
            session.execute(
                insert(ActionEvent),
                [
                    {
                        "team_id": team_id,
                        "action_id": action_id,
                        "actor_id": "lessonloop",
                        "at": now,
                        "what": NUDGED,
                    }
                    for action_id in action_ids
                ],
            )


def _owned(session: Session, team_id: str, action_id: int, by_user: str) -> Action:
    action = session.scalar(
        select(Action).where(Action.id == action_id, Action.team_id == team_id).with_for_update()
    )
    if action is None or action.owner_id != by_user:
        # The same words whether the action is someone else's or does not exist, so an
        # id reveals nothing about a private channel's actions.
        raise NotAllowed(NOT_OWNER)
    return action


def _owe_refresh(
    session: Session,
    action: Action,
    scope: Scope,
    shown_from: Collection[str] | None,
    shown_in: ShownIn,
    now: datetime,
) -> tuple[int, ...]:
    owner = action.owner_id
    match shown_in:
        case ShownIn(Surface.HOME):
            return (owe_home(session, team_id=action.team_id, user_id=owner, now=now),)
        case ShownIn(Surface.MESSAGE, str(conversation_id), str(message_ref)) if (
            len(conversation_id) <= REFERENCE_MAX and len(message_ref) <= REFERENCE_MAX
        ):
            # The sender edits the message only if it is in the owner's own DM with the app:
            # both references came from the request, and could name any message it posted.
            payload: dict[str, object] = {
                "conversation_id": conversation_id,
                "message_ref": message_ref,
                "scope": scope.encode(),
                "member_of": None if shown_from is None else sorted(shown_from),
            }
            edit = owe_latest(
                session,
                team_id=action.team_id,
                kind=LISTING_EDIT_DELIVERY,
                recipient_id=owner,
                topic=f"{conversation_id}:{message_ref}",
                now=now,
                subject_id=action.id,
                payload=payload,
            )
            return (edit,)
    return ()


def _reminded_or_readable(session: Session, viewer: Viewer, review_id: int | None) -> bool:
    """A reminder's listing may be refreshed by the owner it was sent to, or by an owner
    who may read the review's channel."""
    channel_id = session.scalar(
        select(ReviewMeeting.channel_id).where(
            ReviewMeeting.id == review_id, ReviewMeeting.team_id == viewer.team_id
        )
    )
    if channel_id is None:
        return False
    reminded = session.scalar(
        select(MeetingItem.id)
        .where(MeetingItem.review_id == review_id, MeetingItem.owner_id == viewer.user_id)
        .limit(1)
    )
    return reminded is not None or may_read_channel(session, viewer, viewer.team_id, channel_id)


def _validate_note(update: Update) -> str | None:
    note = clean_text(update.note or "", limit=MESSAGE_LIMIT).strip() or None
    if update.change in (Change.BLOCKED, Change.NOTE) and note is None:
        what = "what is blocking it" if update.change is Change.BLOCKED else "your note"
        raise InvalidInput(f"Say {what}.", field="note")
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidInput(f"Keep it under {NOTE_MAX} characters.", field="note")
    return note
