"""Who may read records that belong to a channel: the privacy rule every surface shares.

Same team always; then a public channel, or a private one the viewer is a member of. A
channel the app never looked up (no `conversations` row) counts as private.

Buttons, forms and commands name records by id, and those ids arrive in values a client
could have changed; `ReadAccess` answers from the database whether the verified viewer may
read what an id names. A record the viewer may not read gets the same answer as one that
does not exist, so a refusal never tells anybody that a private review exists.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, SQLColumnExpression, exists, false, or_, select
from sqlalchemy.orm import Session, sessionmaker

from models.core.errors import NotFound
from models.core.tables import Conversation
from models.postmortems.tables import Postmortem
from models.postmortems.views import PostmortemView

NO_POSTMORTEM = "I can't find that post-mortem any more."
NO_CHANNEL = "I can't find that channel, or it is private and you are not a member of it."


@dataclass(frozen=True, slots=True)
class Viewer:
    """The verified user of a request and the private channels Slack says they are in."""

    team_id: str
    user_id: str
    member_of: frozenset[str]


def readable_channel(
    team_id: SQLColumnExpression[str],
    channel_id: SQLColumnExpression[str],
    member_of: Collection[str],
) -> ColumnElement[bool]:
    """For a row with these team and channel columns: may the viewer read it?"""
    public = exists(
        select(Conversation.channel_id).where(
            Conversation.team_id == team_id,
            Conversation.channel_id == channel_id,
            Conversation.is_private == false(),
        )
    )
    if member_of:
        return or_(public, channel_id.in_(list(member_of)))
    return public


def may_read_channel(session: Session, viewer: Viewer, team_id: str, channel_id: str) -> bool:
    """The rule for one channel of one team, inside the caller's transaction."""
    if team_id != viewer.team_id:
        return False
    if channel_id in viewer.member_of:
        return True
    is_private = session.scalar(
        select(Conversation.is_private).where(
            Conversation.team_id == team_id, Conversation.channel_id == channel_id
        )
    )
    return is_private is False


def require_channel(
    session: Session, viewer: Viewer, team_id: str, channel_id: str, *, missing: str
) -> None:
    """Raise NotFound(`missing`), the words used for a record that does not exist."""
    if not may_read_channel(session, viewer, team_id, channel_id):
        raise NotFound(missing)


class ReadAccess:
    """Reads that decide access before a use case runs."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def postmortem(self, *, viewer: Viewer, postmortem_id: int) -> PostmortemView:
        """The review, if it exists in the viewer's team and its channel is readable."""
        with self._sessions() as session:
            row = session.scalar(
                select(Postmortem).where(
                    Postmortem.id == postmortem_id, Postmortem.team_id == viewer.team_id
                )
            )
            if row is None:
                raise NotFound(NO_POSTMORTEM)
            require_channel(session, viewer, row.team_id, row.channel_id, missing=NO_POSTMORTEM)
            return PostmortemView.of(row)

    def channel_of_postmortem(self, *, team_id: str, postmortem_id: int) -> str | None:
        """Which channel a review belongs to, so its privacy can be learnt before a check."""
        with self._sessions() as session:
            return session.scalar(
                select(Postmortem.channel_id).where(
                    Postmortem.id == postmortem_id, Postmortem.team_id == team_id
                )
            )

    def channel(self, *, viewer: Viewer, channel_id: str) -> None:
        with self._sessions() as session:
            require_channel(session, viewer, viewer.team_id, channel_id, missing=NO_CHANNEL)
