"""Frozen results of the post-mortem use cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.actions.views import ActionView
from models.coach import BlameVerdict
from models.core.errors import UserFacingError
from models.lessons.tables import LessonKind
from models.lessons.views import LessonView
from models.postmortems.phases import Phase
from models.postmortems.tables import (
    Answer,
    Postmortem,
    PostmortemKind,
    PostmortemStatus,
    TimelineEntry,
)


@dataclass(frozen=True, slots=True)
class PostmortemView:
    id: int
    team_id: str
    channel_id: str
    thread_ref: str | None  # None until the root message is posted
    permalink: str | None
    title: str
    kind: PostmortemKind
    facilitator_id: str
    status: PostmortemStatus
    phase: Phase
    prompt_ref: str | None
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
            thread_ref=row.thread_ref,
            permalink=row.permalink,
            title=row.title,
            kind=row.kind,
            facilitator_id=row.facilitator_id,
            status=row.status,
            phase=row.phase,
            prompt_ref=row.prompt_ref,
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
    message_ref: str
    said_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, row: Answer) -> AnswerView:
        return cls(
            row.id, row.phase, row.author_id, row.text, row.message_ref, row.said_at, row.created_at
        )


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    """What recording a thread reply did, so the handler can tell the author."""

    postmortem: PostmortemView
    answer: AnswerView
    lesson: LessonView | None = None
    action: ActionView | None = None
    problem: UserFacingError | None = None  # an action the reply asked for but did not get
    nudge: BlameVerdict | None = None


@dataclass(frozen=True, slots=True)
class PhaseChange:
    postmortem: PostmortemView
    left: Phase
    left_prompt_ref: str | None
    skipped: bool


@dataclass(frozen=True, slots=True)
class TimelineView:
    """A message added to a review's timeline, at the time it was sent."""

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
    timeline: tuple[TimelineView, ...] = ()  # oldest first

    def lessons_of(self, kind: LessonKind) -> tuple[LessonView, ...]:
        return tuple(lesson for lesson in self.lessons if lesson.kind is kind)
