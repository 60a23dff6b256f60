"""Who may read records that belong to a channel: the privacy rule every surface shares.

Same team always; then a public channel, or a private one the viewer is a member of. A
channel the app never looked up (no `slack_channels` row) counts as private.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, SQLColumnExpression, exists, false, or_, select

from models.entities import SlackChannel


def readable_channel(
    team_id: SQLColumnExpression[str],
    channel_id: SQLColumnExpression[str],
    member_of: Collection[str],
) -> ColumnElement[bool]:
    """For a row with these team and channel columns: may the viewer read it?"""
    public = exists(
        select(SlackChannel.channel_id).where(
            SlackChannel.team_id == team_id,
            SlackChannel.channel_id == channel_id,
            SlackChannel.is_private == false(),
        )
    )
    if member_of:
        return or_(public, channel_id.in_(list(member_of)))
    return public
