"""OKR reviews: at the end of a period (one per channel and period, planned by the
scheduler so a period without a review gets one) and on demand. A review shows each
objective's score, what moved, what stalled, the confidence trend, the actions and lessons
behind each key result, and each key result's progress over time (for the chart)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Integer, String, cast, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import SQLCoreOperations

from models.core.base import UtcDateTime
from models.core.clock import Clock
from models.core.errors import NotFound
from models.core.outbox import owe_latest, owe_selected
from models.core.privacy import Viewer, may_read_channel
from models.core.tables import DeliveryStatus
from models.okrs.service import CHECK_IN_EVERY, NO_OBJECTIVE, STALE_AFTER_CYCLES, load_objectives
from models.okrs.tables import CheckIn, Confidence, Objective, OkrReviewPost
from models.okrs.views import KeyResultView, ObjectiveView, progress

REVIEW_DELIVERY = "okr.review"
# A period that ended longer ago than this when the app first sees it gets no late review.
LATE_REVIEW_WITHIN = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Reading:
    at: datetime
    value: float
    confidence: Confidence


@dataclass(frozen=True, slots=True)
class KeyResultReview:
    key_result: KeyResultView
    readings: tuple[Reading, ...]  # the check-ins of the period, oldest first
    starts_at: datetime

    @property
    def moved(self) -> float:
        """How far progress moved over the period (0.0-1.0 of the way to target)."""
        kr = self.key_result
        return kr.progress - progress(kr.kind, kr.start_value, kr.target_value, kr.start_value)

    @property
    def stalled(self) -> bool:
        """No change in value over the last two cycles (or no check-in in them)."""
        if not self.readings:
            return True
        cut = self.readings[-1].at - CHECK_IN_EVERY * STALE_AFTER_CYCLES
        recent = [r.value for r in self.readings if r.at >= cut]
        earlier = [r.value for r in self.readings if r.at < cut]
        before = earlier[-1] if earlier else self.key_result.start_value
        return all(value == before for value in recent)

    @property
    def confidence_trend(self) -> tuple[Confidence, ...]:
        """Each change of confidence over the period, in order."""
        trend: list[Confidence] = []
        for reading in self.readings:
            if not trend or trend[-1] is not reading.confidence:
                trend.append(reading.confidence)
        return tuple(trend)

    def points(self) -> list[tuple[datetime, float]]:
        """Progress at the start and at each check-in, for the chart."""
        kr = self.key_result
        first = progress(kr.kind, kr.start_value, kr.target_value, kr.start_value)
        return [(self.starts_at, first)] + [
            (r.at, progress(kr.kind, kr.start_value, kr.target_value, r.value))
            for r in self.readings
        ]


@dataclass(frozen=True, slots=True)
class ObjectiveReview:
    objective: ObjectiveView
    key_results: tuple[KeyResultReview, ...]


@dataclass(frozen=True, slots=True)
class OkrReview:
    id: int
    team_id: str
    channel_id: str
    at: datetime
    end_of_period: bool
    objectives: tuple[ObjectiveReview, ...]

    @property
    def starts_on(self) -> date | None:
        return min((o.objective.starts_on for o in self.objectives), default=None)

    @property
    def ends_on(self) -> date | None:
        return max((o.objective.ends_on for o in self.objectives), default=None)


class OkrReviews:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions, self._clock = sessions, clock

    def plan(self) -> int:
        """Owe the review of every channel's period that has ended without one: two
        statements and an update, however many channels."""
        now = self._clock.now()
        today = now.date()
        with self._sessions.begin() as session:
            ended = (
                select(
                    Objective.team_id,
                    Objective.channel_id,
                    literal("end:", String) + cast(Objective.ends_on, String),
                    Objective.ends_on,
                    literal(now, UtcDateTime()),
                )
                .where(Objective.ends_on < today, Objective.ends_on >= today - LATE_REVIEW_WITHIN)
                .group_by(Objective.team_id, Objective.channel_id, Objective.ends_on)
            )
            insert = (
                postgresql.insert
                if session.get_bind().dialect.name == "postgresql"
                else sqlite.insert
            )
            session.execute(
                insert(OkrReviewPost)
                .from_select(
                    ["team_id", "channel_id", "period_key", "ends_on", "created_at"], ended
                )
                .on_conflict_do_nothing(index_elements=["team_id", "channel_id", "period_key"])
            )
            owed = owe_selected(
                session,
                select(*_owed(now)).where(OkrReviewPost.planned_at.is_(None)),
            )
            session.execute(
                update(OkrReviewPost)
                .where(OkrReviewPost.planned_at.is_(None))
                .values(planned_at=now)
            )
            return owed

    def request(self, *, viewer: Viewer, channel_id: str) -> int:
        """Owe a review of the channel's current objectives, posted in the channel; returns
        the delivery's id."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            if not may_read_channel(session, viewer, viewer.team_id, channel_id):
                raise NotFound(NO_OBJECTIVE)
            row = OkrReviewPost(
                team_id=viewer.team_id,
                channel_id=channel_id,
                period_key=f"asked:{uuid.uuid4().hex}",
                ends_on=None,
                requested_by=viewer.user_id,
                created_at=now,
                planned_at=now,
            )
            session.add(row)
            session.flush()
            return owe_latest(
                session,
                team_id=viewer.team_id,
                kind=REVIEW_DELIVERY,
                recipient_id=channel_id,
                topic=f"okr-review:{row.id}",
                now=now,
                subject_id=row.id,
            )

    def review(self, *, review_id: int) -> OkrReview | None:
        """What a review shows, as the records are now: six queries, however many
        objectives, key results and check-ins."""
        now = self._clock.now()
        with self._sessions() as session:
            post = session.get(OkrReviewPost, review_id)
            if post is None:
                return None
            query = select(Objective).where(
                Objective.team_id == post.team_id, Objective.channel_id == post.channel_id
            )
            if post.ends_on is not None:
                query = query.where(Objective.ends_on == post.ends_on)
            else:
                day = post.created_at.date()
                query = query.where(Objective.starts_on <= day, Objective.ends_on >= day)
            rows = session.scalars(query.order_by(Objective.id)).all()
            objectives = load_objectives(session, rows, now=now)
            readings = _readings(session, [kr.id for o in objectives for kr in o.key_results])
            return OkrReview(
                id=post.id,
                team_id=post.team_id,
                channel_id=post.channel_id,
                at=now,
                end_of_period=post.ends_on is not None,
                objectives=tuple(
                    ObjectiveReview(
                        objective,
                        tuple(
                            KeyResultReview(
                                kr,
                                tuple(readings[kr.id]),
                                _start_of(objective.starts_on, now),
                            )
                            for kr in objective.key_results
                        ),
                    )
                    for objective in objectives
                ),
            )

    def export(
        self, *, viewer: Viewer, channel_id: str
    ) -> tuple[list[ObjectiveView], dict[int, list[Reading]]]:
        """Every objective of the channel, with every check-in of their key results."""
        with self._sessions() as session:
            if not may_read_channel(session, viewer, viewer.team_id, channel_id):
                raise NotFound(NO_OBJECTIVE)
            rows = session.scalars(
                select(Objective)
                .where(Objective.team_id == viewer.team_id, Objective.channel_id == channel_id)
                .order_by(Objective.id)
            ).all()
            objectives = load_objectives(session, rows, now=self._clock.now())
            readings = _readings(session, [kr.id for o in objectives for kr in o.key_results])
            return objectives, dict(readings)


def _readings(session: Session, kr_ids: Sequence[int]) -> dict[int, list[Reading]]:
    found: dict[int, list[Reading]] = defaultdict(list)
    if not kr_ids:
        return found
    for kr_id, at, value, confidence in session.execute(
        select(CheckIn.key_result_id, CheckIn.at, CheckIn.value, CheckIn.confidence)
        .where(CheckIn.key_result_id.in_(kr_ids))
        .order_by(CheckIn.at, CheckIn.id)
    ):
        found[kr_id].append(Reading(at, value, confidence))
    return found


def _start_of(day: date, now: datetime) -> datetime:
    return datetime.combine(day, datetime.min.time(), now.tzinfo)


def _owed(now: datetime) -> tuple[SQLCoreOperations[Any], ...]:
    """A delivery row per review (models.core.outbox.owed's columns, the review as its
    subject, the channel as its recipient)."""
    return (
        OkrReviewPost.team_id,
        literal(REVIEW_DELIVERY, String),
        OkrReviewPost.channel_id,
        OkrReviewPost.id,
        literal({}, JSON),
        literal("okr:review:", String) + cast(OkrReviewPost.id, String),
        literal(DeliveryStatus.PENDING.value, String),
        literal(now, UtcDateTime()),
        literal(0, Integer),
        literal(now, UtcDateTime()),
    )
