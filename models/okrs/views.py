"""Frozen results of the OKR use cases, and the scoring rules they share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from models.actions.tables import ActionStatus
from models.okrs.tables import Confidence, KeyResult, KeyResultKind, Measure, Objective


class Flag(StrEnum):
    """A pitfall spotted in a key result, named when it is set and in every review."""

    NO_BASELINE = "no_baseline"  # no start value: progress cannot be told from effort
    IMPLAUSIBLE = "implausible"  # the team's own history makes the target unlikely
    STALE = "stale"  # no check-in for two cycles


def progress(
    kind: KeyResultKind, start: float | None, target: float, current: float | None
) -> float:
    """0.0-1.0: how far `current` has moved from `start` towards `target` (either way).
    A milestone is done (1) or not (0); without a baseline, progress counts from zero."""
    if current is None:
        return 0.0
    if kind is KeyResultKind.MILESTONE:
        return 1.0 if current >= 1 else 0.0
    base = 0.0 if start is None else start
    if target == base:
        return 1.0 if current == target else 0.0
    return max(0.0, min(1.0, (current - base) / (target - base)))


@dataclass(frozen=True, slots=True)
class ServingActionView:
    id: int
    description: str
    owner_id: str
    status: ActionStatus
    target_on: date | None


@dataclass(frozen=True, slots=True)
class ServingLessonView:
    id: int
    text: str


@dataclass(frozen=True, slots=True)
class KeyResultView:
    id: int
    objective_id: int
    title: str
    owner_id: str
    kind: KeyResultKind
    unit: str
    start_value: float | None
    target_value: float
    current_value: float | None
    confidence: Confidence
    measure: Measure | None
    checked_in_at: datetime | None
    flags: tuple[Flag, ...] = ()
    actions: tuple[ServingActionView, ...] = ()
    lessons: tuple[ServingLessonView, ...] = ()

    @property
    def progress(self) -> float:
        return progress(self.kind, self.start_value, self.target_value, self.current_value)

    @property
    def self_measured(self) -> bool:
        return self.measure is not None

    @classmethod
    def of(
        cls,
        row: KeyResult,
        *,
        flags: tuple[Flag, ...] = (),
        actions: tuple[ServingActionView, ...] = (),
        lessons: tuple[ServingLessonView, ...] = (),
    ) -> KeyResultView:
        return cls(
            id=row.id,
            objective_id=row.objective_id,
            title=row.title,
            owner_id=row.owner_id,
            kind=row.kind,
            unit=row.unit,
            start_value=row.start_value,
            target_value=row.target_value,
            current_value=row.current_value,
            confidence=row.confidence,
            measure=row.measure,
            checked_in_at=row.checked_in_at,
            flags=flags,
            actions=actions,
            lessons=lessons,
        )


@dataclass(frozen=True, slots=True)
class ObjectiveView:
    id: int
    team_id: str
    channel_id: str
    title: str
    owner_id: str
    parent_id: int | None
    starts_on: date
    ends_on: date
    key_results: tuple[KeyResultView, ...]

    @property
    def score(self) -> float:
        """0.0-1.0: the mean progress of its key results."""
        if not self.key_results:
            return 0.0
        return sum(kr.progress for kr in self.key_results) / len(self.key_results)

    def key_result(self, key_result_id: int) -> KeyResultView:
        return next(kr for kr in self.key_results if kr.id == key_result_id)

    @classmethod
    def of(cls, row: Objective, key_results: tuple[KeyResultView, ...]) -> ObjectiveView:
        return cls(
            id=row.id,
            team_id=row.team_id,
            channel_id=row.channel_id,
            title=row.title,
            owner_id=row.owner_id,
            parent_id=row.parent_id,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            key_results=key_results,
        )


@dataclass(frozen=True, slots=True)
class TreeNode:
    """An objective in the alignment tree; `children` are those that name it as parent."""

    objective: ObjectiveView
    children: tuple[TreeNode, ...]
