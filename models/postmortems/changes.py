"""Edits and deletions that arrive before the message they change.

Events can be processed out of order: an edit (or a deletion) of a reply may be seen
before the reply itself. The change waits here until the reply arrives, and is forgotten
after a day if it never does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.postmortems.tables import MessageChangeKind, PendingMessageChange


def pending_change(
    session: Session, team_id: str, channel_id: str, message_ref: str
) -> PendingMessageChange | None:
    return session.scalar(
        select(PendingMessageChange).where(
            PendingMessageChange.team_id == team_id,
            PendingMessageChange.channel_id == channel_id,
            PendingMessageChange.message_ref == message_ref,
        )
    )


def keep_change(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    message_ref: str,
    kind: MessageChangeKind,
    text: str | None,
    changed_at: datetime,
    now: datetime,
) -> None:
    """Remember an edit or deletion until its message arrives: a deletion beats any
    edit, and of two edits the one made later wins."""
    kept = pending_change(session, team_id, channel_id, message_ref)
    if kept is None:
        session.add(
            PendingMessageChange(
                team_id=team_id,
                channel_id=channel_id,
                message_ref=message_ref,
                kind=kind,
                text=text,
                changed_at=changed_at,
                created_at=now,
            )
        )
    elif kept.kind is not MessageChangeKind.DELETE and (
        kind is MessageChangeKind.DELETE or changed_at > kept.changed_at
    ):
        kept.kind, kept.text, kept.changed_at = kind, text, changed_at


def forget_changes(session: Session, *, kept_before: datetime) -> None:
    """Drop changes whose message never came."""
    session.execute(
        delete(PendingMessageChange).where(PendingMessageChange.created_at < kept_before)
    )
