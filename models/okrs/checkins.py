"""Check-in DMs on each team's cadence: one per key result owner per cycle, edited in
place as they answer, a follow-up only to those who have not, and nothing twice.

A channel's cycle starts at each occurrence of its review meeting (`/postmortem review
set`), or, without one, of the workspace's default cadence in the workspace's zone
(weekly, Monday 10:00 unless the workspace says otherwise). The cadence arithmetic is the
follow-through feature's, composed in by models/services.py (`latest_meeting_at`); a
cycle is named by the local date of the occurrence that started it.

Exactly once, like review reminders (models/followup/meetings.py): planning inserts one
request row per (owner, cycle) under a unique key and owes one delivery per request under a
unique dedupe key, so any number of schedulers plan the same thing once; the outbox's
claim gives each delivery to one sender; the sender skips a request already sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Date,
    Integer,
    String,
    and_,
    cast,
    exists,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import SQLCoreOperations

from models.core.base import UtcDateTime
from models.core.clock import Clock
from models.core.db import insert_if_absent
from models.core.outbox import owe_selected
from models.core.privacy import Viewer, readable_channel
from models.core.tables import DeliveryStatus, Workspace
from models.core.workspaces import SLACK, ReviewDefaults, WorkspaceDefaults
from models.followup.tables import MeetingSchedule
from models.okrs.service import load_objectives
from models.okrs.tables import CheckInItem, CheckInRequest, KeyResult, Objective
from models.okrs.views import KeyResultView

ASK_DELIVERY = "okr.check_in"
FOLLOWUP_DELIVERY = "okr.check_in_followup"
# The follow-up to owners who have not answered goes this long after their DM, once a
# cycle: at most one nudge a week.
FOLLOWUP_AFTER = timedelta(days=3)
KEY_RESULTS_PER_DM = 40


class LatestMeeting(Protocol):
    """The last occurrence at or before `moment` of a channel's cadence (its schedule, or
    the workspace's default in `timezone`); models.followup.cadence.latest_meeting_at."""

    def __call__(
        self,
        schedule: MeetingSchedule | None,
        *,
        timezone: str,
        defaults: ReviewDefaults,
        moment: datetime,
    ) -> datetime: ...


@dataclass(frozen=True, slots=True)
class PlanReport:
    requests: int = 0
    asks: int = 0
    followups: int = 0


@dataclass(frozen=True, slots=True)
class CheckInDm:
    """What an owner's check-in DM shows: their key results, and which were answered since
    it was sent (`answered`)."""

    request_id: int
    team_id: str
    owner_id: str
    cycle_on: date
    key_results: tuple[KeyResultView, ...]
    answered: frozenset[int]
    dm_conversation: str | None
    dm_ref: str | None

    @property
    def waiting(self) -> tuple[KeyResultView, ...]:
        return tuple(kr for kr in self.key_results if kr.id not in self.answered)


class OkrCheckIns:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        *,
        latest_meeting: LatestMeeting,
        workspace_defaults: WorkspaceDefaults | None = None,
    ) -> None:
        self._sessions, self._clock = sessions, clock
        self._latest_meeting = latest_meeting
        self._defaults = workspace_defaults or WorkspaceDefaults()

    def plan(self) -> PlanReport:
        """Owe the current cycle's check-in DMs and follow-ups of every team: a query for
        the channels with current objectives and their cadences, an insert per distinct
        cycle date (one when teams share a cadence), two owes and an update, however many
        objectives, key results and owners there are."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            cycles = self._current_cycles(session, now)
            requests = sum(
                _insert_requests(session, cycle, started, channels, now)
                for (cycle, started), channels in sorted(cycles.items())
            )
            current = CheckInRequest.cycle_on.in_(sorted({cycle for cycle, _ in cycles}))
            asks = owe_selected(
                session,
                select(*_owed(ASK_DELIVERY, "okr:ask:", CheckInRequest.id, now)).where(
                    current, CheckInRequest.sent_at.is_(None)
                ),
            )
            unanswered = exists().where(
                CheckInItem.request_id == CheckInRequest.id,
                KeyResult.id == CheckInItem.key_result_id,
                or_(
                    KeyResult.checked_in_at.is_(None),
                    KeyResult.checked_in_at < CheckInRequest.sent_at,
                ),
            )
            followup_due = (
                current,
                CheckInRequest.sent_at <= now - FOLLOWUP_AFTER,
                CheckInRequest.followup_planned_at.is_(None),
            )
            followups = owe_selected(
                session,
                select(*_owed(FOLLOWUP_DELIVERY, "okr:followup:", CheckInRequest.id, now)).where(
                    *followup_due, unanswered
                ),
            )
            session.execute(
                update(CheckInRequest).where(*followup_due).values(followup_planned_at=now)
            )
        return PlanReport(requests, asks, followups)

    def _current_cycles(
        self, session: Session, now: datetime
    ) -> dict[tuple[date, datetime], list[tuple[str, str]]]:
        """The channels with a current objective, by their current cycle (the date naming
        it, when it started)."""
        today = now.date()
        rows = session.execute(
            select(Objective.team_id, Objective.channel_id, MeetingSchedule, Workspace)
            .distinct()
            .outerjoin(
                MeetingSchedule,
                and_(
                    MeetingSchedule.team_id == Objective.team_id,
                    MeetingSchedule.channel_id == Objective.channel_id,
                ),
            )
            .outerjoin(
                Workspace,
                and_(Workspace.platform == SLACK, Workspace.workspace_ref == Objective.team_id),
            )
            .where(Objective.starts_on <= today, Objective.ends_on >= today)
        ).all()
        cycles: dict[tuple[date, datetime], list[tuple[str, str]]] = {}
        for team_id, channel_id, schedule, workspace in rows:
            cycle = self._cycle(schedule, workspace, now)
            cycles.setdefault(cycle, []).append((team_id, channel_id))
        return cycles

    def _cycle(
        self, schedule: MeetingSchedule | None, workspace: Workspace | None, now: datetime
    ) -> tuple[date, datetime]:
        if workspace is not None:
            timezone = workspace.timezone
            defaults = ReviewDefaults(
                cadence=workspace.review_cadence,
                weekday=workspace.review_weekday,
                week_of_month=workspace.review_week_of_month,
                day_of_month=workspace.review_day_of_month,
                local_time=workspace.review_time,
            )
        else:
            timezone, defaults = self._defaults.timezone, self._defaults.review
        started = self._latest_meeting(schedule, timezone=timezone, defaults=defaults, moment=now)
        zone = schedule.timezone if schedule is not None else timezone
        return started.astimezone(ZoneInfo(zone)).date(), started

    def owner_of(self, *, request_id: int) -> str | None:
        """Whom a request's DM is for; None once it was sent."""
        with self._sessions() as session:
            request = session.get(CheckInRequest, request_id)
            if request is None or request.sent_at is not None:
                return None
            return request.owner_id

    def to_send(self, *, request_id: int, owner: Viewer) -> CheckInDm | None:
        """The DM a request owes; None once it was sent (a retry after a crash between
        sending and recording) or when the owner has no current key result any more.
        Only key results of channels `owner` (the owner, as the platform knows them) may
        read are listed: a private channel's key result is never named to someone who
        left it."""
        with self._sessions() as session:
            request = session.get(CheckInRequest, request_id)
            if request is None or request.sent_at is not None:
                return None
            if (owner.team_id, owner.user_id) != (request.team_id, request.owner_id):
                return None
            rows = session.scalars(
                select(KeyResult)
                .join(Objective, Objective.id == KeyResult.objective_id)
                .where(
                    KeyResult.team_id == request.team_id,
                    KeyResult.owner_id == request.owner_id,
                    Objective.starts_on <= request.cycle_on + timedelta(days=6),
                    Objective.ends_on >= request.cycle_on,
                    readable_channel(Objective.team_id, Objective.channel_id, owner.member_of),
                )
                .order_by(KeyResult.id)
                .limit(KEY_RESULTS_PER_DM)
            ).all()
            if not rows:
                return None
            views = _views(session, rows, self._clock.now())
            return _dm(request, views, frozenset())

    def record_sent(
        self, *, request_id: int, key_result_ids: list[int], dm_conversation: str, dm_ref: str
    ) -> None:
        """Remember the DM (for edits and follow-ups) and which key results it listed."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            session.execute(
                update(CheckInRequest)
                .where(CheckInRequest.id == request_id, CheckInRequest.sent_at.is_(None))
                .values(sent_at=now, dm_conversation=dm_conversation, dm_ref=dm_ref)
            )
            for kr_id in key_result_ids:
                insert_if_absent(session, CheckInItem, request_id=request_id, key_result_id=kr_id)

    def listed(self, *, request_id: int) -> CheckInDm | None:
        """A sent DM's key results as they are now (for an edit or the follow-up)."""
        with self._sessions() as session:
            request = session.get(CheckInRequest, request_id)
            if request is None or request.sent_at is None:
                return None
            rows = session.scalars(
                select(KeyResult)
                .join(CheckInItem, CheckInItem.key_result_id == KeyResult.id)
                .where(CheckInItem.request_id == request_id)
                .order_by(KeyResult.id)
            ).all()
            views = _views(session, rows, self._clock.now())
            sent_at = request.sent_at
            answered = frozenset(
                kr.id for kr in rows if kr.checked_in_at is not None and kr.checked_in_at >= sent_at
            )
            return _dm(request, views, answered)


def _insert_requests(
    session: Session,
    cycle: date,
    started: datetime,
    channels: list[tuple[str, str]],
    now: datetime,
) -> int:
    """A request per owner of a key result in `channels` that is current and was set
    before the cycle started (a key result set since waits for the next cycle, so its
    owner is not asked twice within the hour it was set and the next cycle began)."""
    today = now.date()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    owners = (
        select(
            KeyResult.team_id,
            KeyResult.owner_id,
            literal(cycle, Date),
            literal(now, UtcDateTime()),
        )
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(
            Objective.starts_on <= today,
            Objective.ends_on >= today,
            tuple_(Objective.team_id, Objective.channel_id).in_(channels),
            KeyResult.created_at <= started,
        )
        .group_by(KeyResult.team_id, KeyResult.owner_id)
    )
    statement = (
        insert(CheckInRequest)
        .from_select(["team_id", "owner_id", "cycle_on", "created_at"], owners)
        .on_conflict_do_nothing(index_elements=["team_id", "owner_id", "cycle_on"])
    )
    result = session.execute(statement, execution_options={"preserve_rowcount": True})
    return max(int(result.rowcount), 0)  # type: ignore[attr-defined]


def _owed(
    kind: str, prefix: str, request_id: SQLCoreOperations[int], now: datetime
) -> tuple[SQLCoreOperations[Any], ...]:
    """A delivery row per request (the columns of models.core.outbox.owed, with the
    request as its subject)."""
    return (
        CheckInRequest.team_id,
        literal(kind, String),
        CheckInRequest.owner_id,
        request_id,
        literal({}, JSON),
        literal(prefix, String) + cast(request_id, String),
        literal(DeliveryStatus.PENDING.value, String),
        literal(now, UtcDateTime()),
        literal(0, Integer),
        literal(now, UtcDateTime()),
    )


def _views(session: Session, rows: Sequence[KeyResult], now: datetime) -> tuple[KeyResultView, ...]:
    """The key results as the OKR views show them (progress, flags, what serves them):
    five queries, however many."""
    if not rows:
        return ()
    objectives = session.scalars(
        select(Objective).where(Objective.id.in_({kr.objective_id for kr in rows}))
    ).all()
    by_id = {
        kr.id: kr
        for view in load_objectives(session, objectives, now=now)
        for kr in view.key_results
    }
    return tuple(by_id[kr.id] for kr in rows if kr.id in by_id)


def _dm(
    request: CheckInRequest, views: tuple[KeyResultView, ...], answered: frozenset[int]
) -> CheckInDm:
    return CheckInDm(
        request_id=request.id,
        team_id=request.team_id,
        owner_id=request.owner_id,
        cycle_on=request.cycle_on,
        key_results=views,
        answered=answered,
        dm_conversation=request.dm_conversation,
        dm_ref=request.dm_ref,
    )
