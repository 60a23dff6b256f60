"""What services hand back: frozen snapshots, never live ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from models.blame import BlameVerdict
from models.entities import (
    Action,
    ActionStatus,
    Answer,
    Delivery,
    Lesson,
    LessonKind,
    Postmortem,
    PostmortemKind,
    PostmortemStatus,
    TimelineEntry,
)
from models.phases import Phase


@dataclass(frozen=True, slots=True)
class PostmortemView:
    id: int
    team_id: str
    channel_id: str
    thread_ts: str | None  # None until the root message is posted
    permalink: str | None
    title: str
    kind: PostmortemKind
    facilitator_id: str
    status: PostmortemStatus
    phase: Phase
    prompt_ts: str | None
    skipped: tuple[Phase, ...]
    created_at: datetime
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status is PostmortemStatus.OPEN

    @classmethod
    def of(cls, row: Postmortem) -> PostmortemView:
        return cls(
            id=row.id,
            team_id=row.team_id,
            channel_id=row.channel_id,
            thread_ts=row.thread_ts,
            permalink=row.permalink,
            title=row.title,
            kind=row.kind,
            facilitator_id=row.facilitator_id,
            status=row.status,
            phase=row.phase,
            prompt_ts=row.prompt_ts,
            skipped=tuple(Phase(p) for p in row.skipped_phases),
            created_at=row.created_at,
            closed_at=row.closed_at,
        )


@dataclass(frozen=True, slots=True)
class AnswerView:
    id: int
    phase: Phase
    author_id: str
    text: str
    message_ts: str
    created_at: datetime

    @classmethod
    def of(cls, row: Answer) -> AnswerView:
        return cls(row.id, row.phase, row.author_id, row.text, row.message_ts, row.created_at)


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


@dataclass(frozen=True, slots=True)
class ActionView:
    id: int
    description: str
    owner_id: str
    target_on: date | None
    status: ActionStatus
    lesson_id: int | None
    postmortem_id: int | None
    channel_id: str
    created_by: str

    def is_overdue(self, today: date) -> bool:
        return self.target_on is not None and self.target_on < today and not self.status.is_closed

    @classmethod
    def of(cls, row: Action) -> ActionView:
        return cls(
            id=row.id,
            description=row.description,
            owner_id=row.owner_id,
            target_on=row.target_on,
            status=row.status,
            lesson_id=row.lesson_id,
            postmortem_id=row.postmortem_id,
            channel_id=row.channel_id,
            created_by=row.created_by,
        )


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    """What recording a thread reply did, so the handler can tell the author."""

    postmortem: PostmortemView
    answer: AnswerView
    lesson: LessonView | None = None
    action: ActionView | None = None
    problem: str | None = None
    nudge: BlameVerdict | None = None


@dataclass(frozen=True, slots=True)
class PhaseChange:
    postmortem: PostmortemView
    left: Phase
    left_prompt_ts: str | None
    skipped: bool


@dataclass(frozen=True, slots=True)
class TimelineView:
    """A message added to a review's timeline (issue 4), at the time it was sent."""

    id: int
    text: str
    occurred_at: datetime
    author_id: str | None
    link: str | None

    @classmethod
    def of(cls, row: TimelineEntry) -> TimelineView:
        return cls(row.id, row.text, row.occurred_at, row.author_id, row.source_permalink)


@dataclass(frozen=True, slots=True)
class Summary:
    postmortem: PostmortemView
    answers: dict[Phase, tuple[AnswerView, ...]]
    lessons: tuple[LessonView, ...]
    actions: tuple[ActionView, ...]
    participants: tuple[str, ...] = field(default=())
    nudges: int = 0
    timeline: tuple[TimelineView, ...] = ()  # issue 4: oldest first

    def lessons_of(self, kind: LessonKind) -> tuple[LessonView, ...]:
        return tuple(lesson for lesson in self.lessons if lesson.kind is kind)


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    team_id: str
    kind: str
    recipient_id: str
    subject_id: int | None
    payload: dict[str, Any]
    attempts: int

    @classmethod
    def of(cls, row: Delivery) -> DeliveryView:
        return cls(
            row.id,
            row.team_id,
            row.kind,
            row.recipient_id,
            row.subject_id,
            dict(row.payload),
            row.attempts,
        )
