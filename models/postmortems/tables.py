"""Post-mortem tables: the review, its steps, answers and timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.core.base import Base, SlackId, string_enum
from models.postmortems.phases import Phase


class PostmortemKind(StrEnum):
    INCIDENT = "incident"
    RELEASE = "release"
    PROJECT = "project"


class PostmortemStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Postmortem(Base):
    __tablename__ = "postmortems"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "thread_ts"),
        Index(None, "team_id", "channel_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    # None until the root message is posted: the review is stored first, the post is owed.
    thread_ts: Mapped[str | None] = mapped_column(SlackId)
    permalink: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PostmortemKind] = mapped_column(string_enum(PostmortemKind))
    facilitator_id: Mapped[str] = mapped_column(SlackId)
    status: Mapped[PostmortemStatus] = mapped_column(string_enum(PostmortemStatus))
    phase: Mapped[Phase] = mapped_column(string_enum(Phase))
    prompt_ts: Mapped[str | None] = mapped_column(SlackId)
    skipped_phases: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # Slack time of the Close click: replies posted before it still count.
    closed_ts: Mapped[str | None] = mapped_column(SlackId)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="postmortem", order_by="Answer.message_ts", passive_deletes=True
    )


class Answer(Base):
    """One human reply in a post-mortem thread, recorded against the phase it answered."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("postmortem_id", "message_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    phase: Mapped[Phase] = mapped_column(string_enum(Phase))
    author_id: Mapped[str] = mapped_column(SlackId)
    text: Mapped[str] = mapped_column(Text)
    message_ts: Mapped[str] = mapped_column(SlackId)
    event_id: Mapped[str | None] = mapped_column(String(64))
    # Slack time of the edit now shown, so an older edit processed later cannot win.
    edited_ts: Mapped[str | None] = mapped_column(SlackId)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    postmortem: Mapped[Postmortem] = relationship(back_populates="answers")


class PostmortemStep(Base):
    """When each step of a review opened, in Slack time. A reply belongs to the step that
    was open when it was posted, whatever order Slack's events and clicks are processed in."""

    __tablename__ = "postmortem_steps"
    __table_args__ = (Index(None, "postmortem_id", "opened_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    phase: Mapped[Phase] = mapped_column(string_enum(Phase))
    opened_ts: Mapped[str] = mapped_column(SlackId)
    opened_by: Mapped[str] = mapped_column(SlackId)


class MessageChangeKind(StrEnum):
    EDIT = "edit"
    DELETE = "delete"


class PendingMessageChange(Base):
    """An edit or deletion that arrived before the message it changes; applied when the
    message arrives. Only kept for post-mortem threads, and purged after a day."""

    __tablename__ = "pending_message_changes"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "message_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    message_ts: Mapped[str] = mapped_column(SlackId)
    kind: Mapped[MessageChangeKind] = mapped_column(string_enum(MessageChangeKind))
    text: Mapped[str | None] = mapped_column(Text)
    changed_ts: Mapped[str] = mapped_column(SlackId)
    created_at: Mapped[datetime] = mapped_column(index=True)


class TimelineEntry(Base):
    """A message added to a review's timeline, at the time the message was sent."""

    __tablename__ = "timeline_entries"
    __table_args__ = (Index(None, "team_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    postmortem_id: Mapped[int | None] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    author_id: Mapped[str | None] = mapped_column(SlackId)
    added_by: Mapped[str] = mapped_column(SlackId)
    source_ts: Mapped[str] = mapped_column(SlackId)
    source_permalink: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
