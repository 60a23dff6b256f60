"""What Lessonloop measures itself: actions done on time, post-mortems held, median days
from incident to review, open improve lessons, read from the channel's records."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, insert

from models.actions.tables import Action, ActionStatus
from models.core.db import make_sessions
from models.okrs.measures import measure
from models.okrs.tables import Measure
from models.postmortems.phases import Phase
from models.postmortems.tables import (
    Postmortem,
    PostmortemKind,
    PostmortemStatus,
    TimelineEntry,
)

TEAM, OPS, OTHER = "T0TEAM", "C0OPS", "C0OTHER"
SINCE = date(2026, 10, 1)
NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)


def at(day: int) -> datetime:
    return datetime(2026, 10, day, 9, tzinfo=UTC)


def reading(engine: Engine, what: Measure, channel: str = OPS) -> float | None:
    with make_sessions(engine)() as session:
        return measure(session, what, team_id=TEAM, channel_id=channel, since=SINCE, now=NOW)


def seed_reviews(engine: Engine) -> None:
    rows = [
        # (created, closed, first timeline entry): 2, 4 and 9 days from incident to review
        (at(2), at(4), None),
        (at(10), at(12), at(8)),
        (at(20), at(25), at(16)),
    ]
    with make_sessions(engine).begin() as session:
        for i, (created, closed, seen) in enumerate(rows):
            pm = Postmortem(
                team_id=TEAM,
                channel_id=OPS,
                title=f"Incident {i}",
                kind=PostmortemKind.INCIDENT,
                facilitator_id="U0FACIL",
                status=PostmortemStatus.CLOSED,
                phase=Phase.WRAP_UP,
                created_at=created,
                updated_at=closed,
                closed_at=closed,
            )
            session.add(pm)
            session.flush()
            if seen is not None:
                session.add(
                    TimelineEntry(
                        team_id=TEAM,
                        channel_id=OPS,
                        postmortem_id=pm.id,
                        text="pager went off",
                        occurred_at=seen,
                        added_by="U0FACIL",
                        source_ref="1.0",
                        created_at=closed,
                    )
                )


def test_post_mortems_held_and_median_days_from_incident_to_review(engine: Engine) -> None:
    seed_reviews(engine)

    assert reading(engine, Measure.POSTMORTEMS_HELD) == 3
    assert reading(engine, Measure.DAYS_TO_REVIEW) == 4  # of 2, 4 and 9
    assert reading(engine, Measure.POSTMORTEMS_HELD, OTHER) == 0
    assert reading(engine, Measure.DAYS_TO_REVIEW, OTHER) is None


def test_actions_done_on_time_counts_those_due_so_far(engine: Engine) -> None:
    def action(target: date, status: ActionStatus, closed: datetime | None) -> dict[str, object]:
        return {
            "team_id": TEAM,
            "channel_id": OPS,
            "description": "x",
            "owner_id": "U0BEA",
            "target_on": target,
            "status": status,
            "created_by": "U0BEA",
            "created_at": at(1),
            "updated_at": at(1),
            "closed_at": closed,
        }

    assert reading(engine, Measure.ACTIONS_ON_TIME) is None  # nothing due yet
    with make_sessions(engine).begin() as session:
        session.execute(
            insert(Action),
            [
                action(date(2026, 10, 10), ActionStatus.DONE, at(9)),  # on time
                action(date(2026, 10, 10), ActionStatus.DONE, at(15)),  # late
                action(date(2026, 10, 20), ActionStatus.OPEN, None),  # overdue
                action(date(2026, 10, 20), ActionStatus.DROPPED, at(12)),  # not counted
                action(date(2026, 12, 20), ActionStatus.OPEN, None),  # not due yet
                action(date(2026, 9, 20), ActionStatus.DONE, at(1)),  # due before the period
            ],
        )

    assert reading(engine, Measure.ACTIONS_ON_TIME) == round(100 / 3, 1)
    assert reading(engine, Measure.OPEN_IMPROVE_LESSONS) == 0
