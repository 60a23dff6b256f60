"""Lesson tables: lessons and drafts waiting for a kind."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.core.base import Base, SlackId, string_enum


class LessonKind(StrEnum):
    KEEP = "keep"
    IMPROVE = "improve"


class Lesson(Base):
    __tablename__ = "lessons"
    __table_args__ = (Index(None, "team_id", "channel_id"), Index(None, "team_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    postmortem_id: Mapped[int | None] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), index=True
    )
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[LessonKind] = mapped_column(string_enum(LessonKind))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(SlackId)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # A lesson captured from a message keeps where it came from.
    source_ts: Mapped[str | None] = mapped_column(SlackId)
    source_permalink: Mapped[str | None] = mapped_column(String(500))


class LessonDraft(Base):
    """`/lesson <text>` without `keep:`/`improve:` waits here until its author picks a kind."""

    __tablename__ = "lesson_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    author_id: Mapped[str] = mapped_column(SlackId)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
