"""The closed, overdue and open-lesson rules: their SQL and Python forms agree on every case."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import product

from sqlalchemy import insert, select

from models.actions.tables import Action, ActionStatus, is_overdue
from models.lessons.tables import Lesson, LessonKind, is_open_lesson, open_lesson_clause
from models.services import Services

TEAM, CHANNEL, USER = "T0TEAM", "C0RULES", "U0BEA"
TODAY = date(2026, 11, 20)
AT = datetime(2026, 11, 20, 10, tzinfo=UTC)
DATES = (None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1))


def _action(
    status: ActionStatus, target_on: date | None, lesson_id: int | None
) -> dict[str, object]:
    return {
        "team_id": TEAM,
        "channel_id": CHANNEL,
        "lesson_id": lesson_id,
        "description": f"{status} {target_on}",
        "owner_id": USER,
        "target_on": target_on,
        "status": status,
        "created_by": USER,
        "created_at": AT,
        "updated_at": AT,
    }


def test_open_and_overdue_clauses_select_what_the_properties_say(services: Services) -> None:
    cases = list(product(ActionStatus, DATES))
    with services.sessions.begin() as session:
        session.execute(insert(Action), [_action(s, d, None) for s, d in cases])
    with services.sessions() as session:
        rows = session.execute(select(Action.status, Action.target_on, Action.open_clause())).all()
        overdue = set(
            session.execute(
                select(Action.status, Action.target_on).where(Action.overdue_clause(TODAY))
            ).all()
        )
    assert {(s, d) for s, d, is_open in rows if is_open} == {
        (s, d) for s, d in cases if not s.is_closed
    }
    assert overdue == {(s, d) for s, d in cases if is_overdue(d, s, TODAY)}
    assert overdue == {
        (ActionStatus(s), TODAY - timedelta(days=1)) for s in ("open", "in_progress", "blocked")
    }


def test_open_lesson_clause_counts_what_is_open_lesson_says(services: Services) -> None:
    # Every kind with no action, one action of each status, and two actions (closed + open).
    shapes: list[tuple[LessonKind, tuple[ActionStatus, ...]]] = [
        (kind, statuses)
        for kind in LessonKind
        for statuses in [
            (),
            *((s,) for s in ActionStatus),
            (ActionStatus.DONE, ActionStatus.DROPPED),
            (ActionStatus.DONE, ActionStatus.BLOCKED),
        ]
    ]
    expected: set[int] = set()
    with services.sessions.begin() as session:
        for kind, statuses in shapes:
            lesson = Lesson(
                team_id=TEAM,
                channel_id=CHANNEL,
                kind=kind,
                text=f"{kind} {statuses}",
                author_id=USER,
                tags=[],
                created_at=AT,
                updated_at=AT,
            )
            session.add(lesson)
            session.flush()
            if statuses:
                session.execute(insert(Action), [_action(s, None, lesson.id) for s in statuses])
            if is_open_lesson(kind, (not s.is_closed for s in statuses)):
                expected.add(lesson.id)
    with services.sessions() as session:
        found = set(session.scalars(select(Lesson.id).where(open_lesson_clause())))
    assert found == expected
    # IMPROVE with no action, or with an open one: 1 + 3 single statuses + 1 mixed pair.
    assert len(expected) == 5
