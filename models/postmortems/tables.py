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

from models.core.base import Base, string_enum
from models.core.references import Ref
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
        UniqueConstraint("team_id", "channel_id", "thread_ref"),
        Index(None, "team_id", "channel_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    channel_id: Mapped[str] = mapped_column(Ref)
    # The root message, whose thread is the review; None until it is posted: the review is
    # stored first, the post is owed.
    thread_ref: Mapped[str | None] = mapped_column(Ref)
    permalink: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PostmortemKind] = mapped_column(string_enum(PostmortemKind))
    facilitator_id: Mapped[str] = mapped_column(Ref)
    status: Mapped[PostmortemStatus] = mapped_column(string_enum(PostmortemStatus))
    phase: Mapped[Phase] = mapped_column(string_enum(Phase))
    # The bot message carrying the current step's buttons, so they can be taken away.
    prompt_ref: Mapped[str | None] = mapped_column(Ref)
    skipped_phases: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # When the facilitator clicked Close (never later than it was processed): replies
    # posted before it still count.
    closed_at: Mapped[datetime | None]

    answers: Mapped[list[Answer]] = relationship(
        back_populates="postmortem",
        order_by=lambda: (Answer.said_at, Answer.id),
        passive_deletes=True,
    )


class Answer(Base):
    """One human reply in a post-mortem thread, recorded against the phase it answered."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("postmortem_id", "message_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    phase: Mapped[Phase] = mapped_column(string_enum(Phase))
    author_id: Mapped[str] = mapped_column(Ref)
    text: Mapped[str] = mapped_column(Text)
    message_ref: Mapped[str] = mapped_column(Ref)
    # When the reply was posted, by the platform's clock: it orders the answers and places
    # each in the step that was open then.
    said_at: Mapped[datetime]
    event_id: Mapped[str | None] = mapped_column(Ref)
    # When the edit now shown was made, so an older edit processed later cannot win.
    edited_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    postmortem: Mapped[Postmortem] = relationship(back_populates="answers")


class PostmortemStep(Base):
    """When each step of a review opened, by the platform's clock. A reply belongs to the
    step that was open when it was posted, whatever order events and clicks are processed in."""

    __tablename__ = "postmortem_steps"
    __table_args__ = (Index(None, "postmortem_id", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    phase: Mapped[Phase] = mapped_column(string_enum(Phase))
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(Ref)


class MessageChangeKind(StrEnum):
    EDIT = "edit"
    DELETE = "delete"


class PendingMessageChange(Base):
    """An edit or deletion that arrived before the message it changes; applied when the
    message arrives. Only kept for post-mortem threads, and purged after a day."""

    __tablename__ = "pending_message_changes"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "message_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    channel_id: Mapped[str] = mapped_column(Ref)
    message_ref: Mapped[str] = mapped_column(Ref)
    kind: Mapped[MessageChangeKind] = mapped_column(string_enum(MessageChangeKind))
    text: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(index=True)


class TimelineEntry(Base):
    """A message added to a review's timeline, at the time the message was sent."""

    __tablename__ = "timeline_entries"
    __table_args__ = (Index(None, "team_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    channel_id: Mapped[str] = mapped_column(Ref)
    postmortem_id: Mapped[int | None] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    author_id: Mapped[str | None] = mapped_column(Ref)
    added_by: Mapped[str] = mapped_column(Ref)
    source_ref: Mapped[str] = mapped_column(Ref)
    source_permalink: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
