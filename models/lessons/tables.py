"""Lesson tables: lessons and drafts waiting for a kind."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
    exists,
    not_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.actions.tables import Action
from models.core.base import Base, string_enum
from models.core.references import Ref


class LessonKind(StrEnum):
    KEEP = "keep"
    IMPROVE = "improve"


class Lesson(Base):
    __tablename__ = "lessons"
    __table_args__ = (Index(None, "team_id", "channel_id"), Index(None, "team_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    channel_id: Mapped[str] = mapped_column(Ref)
    postmortem_id: Mapped[int | None] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), index=True
    )
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[LessonKind] = mapped_column(string_enum(LessonKind))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(Ref)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # A lesson captured from a message keeps where it came from.
    source_ref: Mapped[str | None] = mapped_column(Ref)
    source_permalink: Mapped[str | None] = mapped_column(String(500))


def is_open_lesson(kind: LessonKind, actions_open: Iterable[bool]) -> bool:
    """The one definition of an open lesson: an IMPROVE lesson with no action yet, or with
    an action still open (`actions_open`: one flag per action). KEEP lessons never are."""
    if kind is not LessonKind.IMPROVE:
        return False
    flags = list(actions_open)
    return not flags or any(flags)


def open_lesson_clause() -> ColumnElement[bool]:
    """SQL for `is_open_lesson`, for a query over `Lesson`."""
    return and_(
        Lesson.kind == LessonKind.IMPROVE,
        or_(
            not_(exists().where(Action.lesson_id == Lesson.id)),
            exists().where(Action.lesson_id == Lesson.id, Action.open_clause()),
        ),
    )


class LessonDraft(Base):
    """`/lesson <text>` without `keep:`/`improve:` waits here until its author picks a kind."""

    __tablename__ = "lesson_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    channel_id: Mapped[str] = mapped_column(Ref)
    author_id: Mapped[str] = mapped_column(Ref)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
