"""Key results Lessonloop measures itself, from a channel's own records (read, never
changed): each reading is one query, whatever the size of the history."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, time

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from models.actions.tables import Action, ActionStatus
from models.lessons.tables import Lesson, open_lesson_clause
from models.okrs.tables import KeyResultKind, Measure
from models.postmortems.tables import Postmortem, PostmortemStatus, TimelineEntry

# What each measure is called, the kind of number it gives and its unit.
MEASURES: dict[Measure, tuple[str, KeyResultKind, str]] = {
    Measure.OPEN_IMPROVE_LESSONS: ("Open improve lessons carried", KeyResultKind.NUMBER, "lessons"),
    Measure.ACTIONS_ON_TIME: ("Actions done on time", KeyResultKind.PERCENT, "%"),
    Measure.POSTMORTEMS_HELD: ("Post-mortems held", KeyResultKind.NUMBER, "reviews"),
    Measure.DAYS_TO_REVIEW: ("Median days from incident to review", KeyResultKind.NUMBER, "days"),
}


def measure(
    session: Session, measure: Measure, *, team_id: str, channel_id: str, since: date, now: datetime
) -> float | None:
    """The channel's value of `measure` for a period that started `since`, as of `now`;
    None when there is nothing to measure yet (no action due, no review held)."""
    start = datetime.combine(since, time.min, tzinfo=UTC)
    match measure:
        case Measure.OPEN_IMPROVE_LESSONS:
            return float(
                session.scalar(
                    select(func.count(Lesson.id)).where(
                        Lesson.team_id == team_id,
                        Lesson.channel_id == channel_id,
                        open_lesson_clause(),
                    )
                )
                or 0
            )
        case Measure.ACTIONS_ON_TIME:
            today = now.date()
            due = session.execute(
                select(Action.target_on, Action.status, Action.closed_at).where(
                    Action.team_id == team_id,
                    Action.channel_id == channel_id,
                    Action.target_on >= since,
                    Action.target_on <= today,
                    Action.status != ActionStatus.DROPPED,
                )
            ).all()
            if not due:
                return None
            on_time = sum(
                1
                for target_on, status, closed_at in due
                if status is ActionStatus.DONE
                and closed_at is not None
                and target_on is not None
                and closed_at.astimezone(UTC).date() <= target_on
            )
            return round(100.0 * on_time / len(due), 1)
        case Measure.POSTMORTEMS_HELD:
            return float(
                session.scalar(
                    select(func.count(Postmortem.id)).where(
                        *_closed_since(team_id, channel_id, start)
                    )
                )
                or 0
            )
        case Measure.DAYS_TO_REVIEW:
            first_seen = (
                select(
                    TimelineEntry.postmortem_id.label("pm"),
                    func.min(TimelineEntry.occurred_at).label("at"),
                )
                .where(TimelineEntry.team_id == team_id, TimelineEntry.channel_id == channel_id)
                .group_by(TimelineEntry.postmortem_id)
                .subquery()
            )
            rows = session.execute(
                select(Postmortem.created_at, Postmortem.closed_at, first_seen.c.at)
                .outerjoin(first_seen, first_seen.c.pm == Postmortem.id)
                .where(*_closed_since(team_id, channel_id, start))
            ).all()
            days = [
                (closed - min(created, seen or created)).total_seconds() / 86400
                for created, closed, seen in rows
                if closed is not None
            ]
            return round(statistics.median(days), 1) if days else None


def _closed_since(
    team_id: str, channel_id: str, start: datetime
) -> tuple[ColumnElement[bool], ...]:
    return (
        Postmortem.team_id == team_id,
        Postmortem.channel_id == channel_id,
        Postmortem.status == PostmortemStatus.CLOSED,
        Postmortem.closed_at >= start,
    )
