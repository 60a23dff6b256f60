"""Frozen results of the lesson use cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.lessons.tables import Lesson, LessonKind


@dataclass(frozen=True, slots=True)
class LessonView:
    id: int
    kind: LessonKind
    text: str
    author_id: str
    tags: tuple[str, ...]
    postmortem_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: Lesson) -> LessonView:
        return cls(
            row.id,
            row.kind,
            row.text,
            row.author_id,
            tuple(row.tags),
            row.postmortem_id,
            row.created_at,
        )
