"""Who may read records that belong to a channel: the privacy rule every surface shares
(lesson search and Home, the recurring-lesson note, reports, `/actions` listings).

Same team always; then a public channel, or a private one the viewer is a member of. A
channel the app never looked up (no `conversations` row) counts as private.

`readable_channel` is the rule in SQL, for queries that return many records;
`may_read_channel` the same rule for one channel, inside a transaction. A record the
viewer may not read gets the same answer as one that does not exist (`require_channel`),
so a refusal never tells anybody that a private record exists.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, exists, false, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import BindParameter

from models.core.errors import NotFound
from models.core.tables import Conversation

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
    member_of: Collection[str] | Collection[SQLColumnExpression[str]] | BindParameter[Any],
    *,
    viewer_team: str | SQLColumnExpression[str] | None = None,
) -> ColumnElement[bool]:
    """For a row with these team and channel columns: may the viewer read it? With
    `viewer_team`, the row must also be of the viewer's team; without it the caller has
    already said which team's rows it reads. `member_of` may be an expanding bound
    parameter, for a statement built once and run with each viewer's channels."""
    # An alias of its own, so the rule also serves queries that join the channel for its
    # name (an EXISTS on the same table would correlate to that join and lose its FROM).
    channel = aliased(Conversation)
    public = exists(
        select(channel.channel_id).where(
            channel.team_id == team_id,
            channel.channel_id == channel_id,
            channel.is_private == false(),
        )
    )
    if isinstance(member_of, BindParameter):
        rule = or_(public, channel_id.in_(member_of))
    else:
        rule = or_(public, channel_id.in_(list(member_of))) if member_of else public
    return rule if viewer_team is None else and_(team_id == viewer_team, rule)


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
