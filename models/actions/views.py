"""Frozen results of the action use cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from models.actions.tables import Action, ActionStatus, is_overdue


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
        return is_overdue(self.target_on, self.status, today)

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
class TrendPoint:
    """How many actions and lessons were open at a moment (`open_lessons`: by
    `is_open_lesson`): a review meeting's snapshot, or a point of the board's trend
    (`label`: the release or month it stands for)."""

    at: datetime
    open_actions: int
    open_lessons: int
    label: str = ""
