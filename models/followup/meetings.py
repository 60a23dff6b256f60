"""Follow-through: a channel's review meetings (the recurring meeting where a team goes
through its open actions; a "post-mortem" is never called a meeting here), their cadence,
and planning what each meeting owes people. Table and dedupe-key names still say "review".

What is due lives here, in the database; the scheduler only calls `plan()` on each tick.
Planning is set-based: a few statements per scheduled channel, however many actions and
owners there are (owners are grouped in SQL and their reminders written with one
INSERT ... SELECT ... ON CONFLICT DO NOTHING into the outbox). Every owed message has a
dedupe key, so planning twice, or in two processes at once, owes it once:

    review:{id}:remind:{owner}    at meeting time - lead days
    review:{id}:followup:{owner}  at meeting time - follow-up days, only to owners with a
                                  listed action that has had no update since the reminder
    review:{id}:agenda            at meeting time
    overdue:{team}:{owner}:{day}  an owner with actions past their date, none nudged in
                                  the last 7 days (see ActionUpdates.overdue_to_nudge), and
                                  no meeting reminder in those 7 days (it marks them overdue)

After downtime the next planning pass catches up: a meeting whose lead time passed still
gets its reminders once; a meeting whose time passed gets its agenda once, for the latest
missed occurrence only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, timedelta
from itertools import groupby

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    delete,
    exists,
    func,
    literal,
    not_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, sessionmaker

from models.actions.tables import (
    NUDGE_EVERY,
    NUDGED,
    UPDATES,
    Action,
    ActionEvent,
    ActionStatus,
)
from models.actions.views import ActionView, TrendPoint
from models.core.clock import Clock
from models.core.db import insert_if_absent
from models.core.errors import NotFound
from models.core.outbox import enqueue, owe_selected, owed
from models.core.tables import Delivery, DeliveryStatus
from models.followup.cadence import Cadenced
from models.followup.tables import MeetingItem, MeetingReminder, MeetingSchedule, ReviewMeeting
from models.followup.views import (
    SHOWN_PER_LISTING,
    AgendaView,
    ListingView,
    MeetingView,
    PlanReport,
    ScheduleView,
    Scope,
    ScopeKind,
    Unreachable,
)
from models.lessons.tables import Lesson, open_lesson_clause

REMIND_DELIVERY = "review.remind"
FOLLOWUP_DELIVERY = "review.followup"
AGENDA_DELIVERY = "review.agenda"
OVERDUE_DELIVERY = "action.overdue"

TREND_REVIEWS = 3


class ReviewMeetings:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions, self._clock = sessions, clock

    def set_schedule(
        self, *, team_id: str, channel_id: str, cadence: Cadenced, by_user: str
    ) -> ScheduleView:
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = session.get(MeetingSchedule, (team_id, channel_id))
            if row is None:
                row = MeetingSchedule(team_id=team_id, channel_id=channel_id)
                session.add(row)
            row.cadence, row.local_time, row.timezone = (
                cadence.cadence,
                cadence.local_time,
                cadence.timezone,
            )
            row.weekday, row.week_of_month, row.day_of_month = (
                cadence.weekday,
                cadence.week_of_month,
                cadence.day_of_month,
            )
            row.lead_days, row.followup_days, row.anchor_on = (
                cadence.lead_days,
                cadence.followup_days,
                cadence.anchor_on,
            )
            row.updated_by, row.updated_at = by_user, now
            _forget_unstarted_reviews(session, team_id, channel_id, now)
            session.flush()
            return _schedule_view(row, now)

    def schedule(self, *, team_id: str, channel_id: str) -> ScheduleView | None:
        with self._sessions() as session:
            row = session.get(MeetingSchedule, (team_id, channel_id))
            return _schedule_view(row, self._clock.now()) if row else None

    def schedules_of(self, *, team_id: str, channel_ids: Collection[str]) -> list[ScheduleView]:
        """The schedules of these channels, soonest review first (one query)."""
        if not channel_ids:
            return []
        now = self._clock.now()
        with self._sessions() as session:
            rows = session.scalars(
                select(MeetingSchedule).where(
                    MeetingSchedule.team_id == team_id,
                    MeetingSchedule.channel_id.in_(sorted(channel_ids)),
                )
            ).all()
        return sorted(
            (_schedule_view(row, now) for row in rows), key=lambda view: view.next_reviews[0]
        )

    def clear_schedule(self, *, team_id: str, channel_id: str) -> bool:
        with self._sessions.begin() as session:
            row = session.get(MeetingSchedule, (team_id, channel_id))
            if row is None:
                return False
            session.delete(row)
            _forget_unstarted_reviews(session, team_id, channel_id, self._clock.now())
            return True

    def plan(self) -> PlanReport:
        """Owe every reminder, follow-up, agenda and overdue nudge that is due now."""
        now = self._clock.now()
        report = PlanReport()
        with self._sessions.begin() as session:
            for schedule in session.scalars(select(MeetingSchedule)).all():
                _plan_channel(session, schedule, now, report)
            report.overdue = _plan_overdue(session, now)
        return report

    def reminder(self, *, team_id: str, review_id: int, owner_id: str) -> ListingView | None:
        """The owner's open actions in the review's scope, overdue first; None when the
        reminder went out already (a retry after a crash between sending and marking sent)."""
        with self._sessions() as session:
            review = _review(session, team_id, review_id)
            if session.get(MeetingReminder, (review_id, owner_id)) is not None:
                return None
            actions = session.scalars(
                _open_actions(team_id)
                .where(Action.channel_id == review.channel_id, Action.owner_id == owner_id)
                .limit(SHOWN_PER_LISTING)
            ).all()
            view = _review_view(session, review)
            return ListingView(
                scope=Scope(ScopeKind.MEETING, owner_id, review.id),
                actions=tuple(ActionView.of(a) for a in actions),
                today=_local_today(view, self._clock.now()),
                total=len(actions),
                review=view,
            )

    def record_reminder(
        self,
        *,
        team_id: str,
        review_id: int,
        owner_id: str,
        action_ids: Sequence[int],
        dm_conversation: str,
        dm_ref: str,
    ) -> None:
        """Remember which DM listed which actions, so follow-ups and edits can find them."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            insert_if_absent(
                session,
                MeetingReminder,
                review_id=review_id,
                owner_id=owner_id,
                team_id=team_id,
                dm_conversation=dm_conversation,
                dm_ref=dm_ref,
                sent_at=now,
            )
            for action_id in action_ids:
                insert_if_absent(
                    session,
                    MeetingItem,
                    team_id=team_id,
                    review_id=review_id,
                    owner_id=owner_id,
                    action_id=action_id,
                    listed_at=now,
                )

    def listed(self, *, team_id: str, review_id: int, owner_id: str) -> ListingView:
        """The actions an owner's reminder listed, in their current state."""
        with self._sessions() as session:
            review = _review(session, team_id, review_id)
            rows = session.execute(
                select(Action, _updated_since_listed().label("updated"))
                .join(MeetingItem, MeetingItem.action_id == Action.id)
                .where(MeetingItem.review_id == review_id, MeetingItem.owner_id == owner_id)
                .order_by(Action.target_on.is_(None), Action.target_on, Action.id)
            ).all()
            view = _review_view(session, review)
            if not rows:
                # Not recorded yet (the reminder is on its way): what it will list.
                actions = session.scalars(
                    _open_actions(team_id)
                    .where(Action.channel_id == review.channel_id, Action.owner_id == owner_id)
                    .limit(SHOWN_PER_LISTING)
                ).all()
                rows = [(action, False) for action in actions]  # type: ignore[misc]
            return ListingView(
                scope=Scope(ScopeKind.MEETING, owner_id, review.id),
                actions=tuple(ActionView.of(action) for action, _ in rows),
                today=_local_today(view, self._clock.now()),
                total=len(rows),
                review=view,
                updated=frozenset(action.id for action, updated in rows if updated),
            )

    def followup(self, *, team_id: str, review_id: int, owner_id: str) -> ListingView | None:
        """The owner's listing when some listed action still waits for an update, else None."""
        listing = self.listed(team_id=team_id, review_id=review_id, owner_id=owner_id)
        waiting = [
            a for a in listing.actions if not a.status.is_closed and a.id not in listing.updated
        ]
        return listing if waiting else None

    def agenda(self, *, team_id: str, review_id: int) -> AgendaView:
        """What the review meeting needs; the first call snapshots the open counts."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            review = _review(session, team_id, review_id)
            view = _review_view(session, review)
            today = _local_today(view, now)
            open_rows = session.scalars(
                _open_actions(team_id)
                .where(Action.channel_id == review.channel_id)
                .order_by(None)
                .order_by(Action.owner_id, Action.target_on.is_(None), Action.target_on, Action.id)
            ).all()
            if review.snapshot_at is None:
                review.snapshot_at = now
                review.open_actions = len(open_rows)
                review.open_lessons = session.scalar(_open_lessons(team_id, review.channel_id))
            before = session.scalars(
                select(ReviewMeeting)
                .where(
                    ReviewMeeting.team_id == team_id,
                    ReviewMeeting.channel_id == review.channel_id,
                    ReviewMeeting.scheduled_at < review.scheduled_at,
                    ReviewMeeting.snapshot_at.is_not(None),
                )
                .order_by(ReviewMeeting.scheduled_at.desc())
                .limit(TREND_REVIEWS)
            ).all()
            since = before[0].scheduled_at if before else review.scheduled_at - timedelta(days=31)
            done = session.scalars(
                select(Action)
                .where(
                    Action.team_id == team_id,
                    Action.channel_id == review.channel_id,
                    Action.status == ActionStatus.DONE,
                    Action.closed_at >= since,
                )
                .order_by(Action.closed_at, Action.id)
            ).all()
            not_responded = session.scalars(_waiting_owners(review.id)).all()
            unreachable = session.execute(
                select(Delivery.recipient_id, Delivery.last_error)
                .where(
                    Delivery.subject_id == review.id,
                    Delivery.kind.in_((REMIND_DELIVERY, FOLLOWUP_DELIVERY)),
                    Delivery.status == DeliveryStatus.FAILED,
                )
                .order_by(Delivery.recipient_id)
            ).all()
            actions = [ActionView.of(a) for a in open_rows]
            by_owner = tuple(
                (owner, tuple(_overdue_first(items, today)))
                for owner, items in groupby(actions, key=lambda a: a.owner_id)
            )
            return AgendaView(
                review=view,
                today=today,
                by_owner=by_owner,
                done_since=tuple(ActionView.of(a) for a in done),
                since=since,
                not_responded=tuple(not_responded),
                unreachable=tuple(
                    dict.fromkeys(
                        Unreachable(user, error or "unknown") for user, error in unreachable
                    )
                ),
                now=TrendPoint(
                    review.scheduled_at, review.open_actions or 0, review.open_lessons or 0
                ),
                before=tuple(
                    TrendPoint(r.scheduled_at, r.open_actions or 0, r.open_lessons or 0)
                    for r in before
                ),
            )


def _plan_channel(
    session: Session, schedule: MeetingSchedule, now: datetime, report: PlanReport
) -> None:
    cadence = cadenced_of(schedule)
    latest = cadence.latest_at_or_before(now)
    if latest >= schedule.updated_at:
        review = _review_at(session, schedule, latest, now, report)
        if review.agenda_planned_at is None:
            enqueue(
                session,
                team_id=schedule.team_id,
                kind=AGENDA_DELIVERY,
                recipient_id=schedule.channel_id,
                subject_id=review.id,
                dedupe_key=f"review:{review.id}:agenda",
                due_at=now,
                now=now,
            )
            review.agenda_planned_at = now
            report.agendas += 1
    upcoming = cadence.next_at(now)
    review = _review_at(session, schedule, upcoming, now, report)
    if review.reminders_planned_at is None and now >= upcoming - timedelta(days=schedule.lead_days):
        report.reminders += _owe_reminders(session, review, now)
        review.reminders_planned_at = now
    if (
        review.followups_planned_at is None
        and schedule.followup_days > 0
        and now >= upcoming - timedelta(days=schedule.followup_days)
    ):
        report.followups += _owe_followups(session, review, now)
        review.followups_planned_at = now


def _owe_reminders(session: Session, review: ReviewMeeting, now: datetime) -> int:
    """One reminder per owner with open actions in the channel: one statement."""
    return owe_selected(
        session,
        select(
            *owed(
                team_id=Action.team_id,
                kind=REMIND_DELIVERY,
                recipient_id=Action.owner_id,
                subject_id=review.id,
                dedupe_key=literal(f"review:{review.id}:remind:", String) + Action.owner_id,
                now=now,
            )
        )
        .where(
            Action.team_id == review.team_id,
            Action.channel_id == review.channel_id,
            Action.open_clause(),
        )
        .group_by(Action.team_id, Action.owner_id),
    )


def _owe_followups(session: Session, review: ReviewMeeting, now: datetime) -> int:
    """A follow-up to each owner with a listed, still open action that has had no update."""
    waiting = _waiting_owners(review.id).subquery()
    return owe_selected(
        session,
        select(
            *owed(
                team_id=literal(review.team_id, String),
                kind=FOLLOWUP_DELIVERY,
                recipient_id=waiting.c.owner_id,
                subject_id=review.id,
                dedupe_key=literal(f"review:{review.id}:followup:", String) + waiting.c.owner_id,
                now=now,
            )
        ).where(waiting.c.owner_id.is_not(None)),
    )


def _plan_overdue(session: Session, now: datetime) -> int:
    """One nudge per owner whose open actions passed their date, none nudged this week."""
    week_ago = now - NUDGE_EVERY
    # Uncorrelated subqueries: each runs once (hashed), not once per overdue action.
    recently_nudged = select(ActionEvent.action_id).where(
        ActionEvent.what == NUDGED, ActionEvent.at > week_ago
    )
    already_owed = select(Delivery.team_id, Delivery.recipient_id).where(
        Delivery.kind == OVERDUE_DELIVERY, Delivery.status == DeliveryStatus.PENDING
    )
    # Slack could not reach them this week (they left, or blocked DMs): not again so soon.
    unreachable = select(Delivery.team_id, Delivery.recipient_id).where(
        Delivery.status == DeliveryStatus.FAILED, Delivery.created_at > week_ago
    )
    # Someone reminded of a review this week has just seen their overdue actions marked.
    reminded = select(Delivery.team_id, Delivery.recipient_id).where(
        Delivery.kind == REMIND_DELIVERY,
        Delivery.status != DeliveryStatus.FAILED,
        Delivery.created_at > week_ago,
    )
    day = f"{now.date().isoformat()}"
    return owe_selected(
        session,
        select(
            *owed(
                team_id=Action.team_id,
                kind=OVERDUE_DELIVERY,
                recipient_id=Action.owner_id,
                dedupe_key=literal("overdue:", String)
                + Action.team_id
                + literal(":", String)
                + Action.owner_id
                + literal(f":{day}", String),
                now=now,
            )
        )
        .where(
            Action.overdue_clause(now.date()),
            Action.id.not_in(recently_nudged),
            tuple_(Action.team_id, Action.owner_id).not_in(already_owed),
            tuple_(Action.team_id, Action.owner_id).not_in(unreachable),
            tuple_(Action.team_id, Action.owner_id).not_in(reminded),
        )
        .group_by(Action.team_id, Action.owner_id),
    )


def _waiting_owners(review_id: int) -> Select[str]:
    """Owners with a listed, still open action that has had no update since it was listed."""
    return (
        select(MeetingItem.owner_id)
        .join(Action, Action.id == MeetingItem.action_id)
        .where(
            MeetingItem.review_id == review_id,
            Action.open_clause(),
            not_(_updated_since_listed()),
        )
        .distinct()
        .order_by(MeetingItem.owner_id)
    )


def _updated_since_listed() -> ColumnElement[bool]:
    return exists().where(
        ActionEvent.action_id == MeetingItem.action_id,
        ActionEvent.at >= MeetingItem.listed_at,
        ActionEvent.what.in_(UPDATES),
    )


def _open_actions(team_id: str) -> Select[Action]:
    return (
        select(Action)
        .where(Action.team_id == team_id, Action.open_clause())
        .order_by(Action.target_on.is_(None), Action.target_on, Action.id)
    )


def _open_lessons(team_id: str, channel_id: str) -> Select[int]:
    return select(func.count()).where(
        Lesson.team_id == team_id, Lesson.channel_id == channel_id, open_lesson_clause()
    )


def _review_at(
    session: Session, schedule: MeetingSchedule, at: datetime, now: datetime, report: PlanReport
) -> ReviewMeeting:
    find = select(ReviewMeeting).where(
        ReviewMeeting.team_id == schedule.team_id,
        ReviewMeeting.channel_id == schedule.channel_id,
        ReviewMeeting.scheduled_at == at,
    )
    review = session.scalar(find)
    if review is None:
        if insert_if_absent(
            session,
            ReviewMeeting,
            team_id=schedule.team_id,
            channel_id=schedule.channel_id,
            scheduled_at=at,
            created_at=now,
        ):
            report.meetings += 1
        review = session.scalars(find).one()
    return review


def _forget_unstarted_reviews(
    session: Session, team_id: str, channel_id: str, now: datetime
) -> None:
    """A changed or removed schedule drops future occurrences that owed nothing yet."""
    session.execute(
        delete(ReviewMeeting).where(
            ReviewMeeting.team_id == team_id,
            ReviewMeeting.channel_id == channel_id,
            ReviewMeeting.scheduled_at > now,
            ReviewMeeting.reminders_planned_at.is_(None),
        )
    )


def _review(session: Session, team_id: str, review_id: int) -> ReviewMeeting:
    review = session.scalar(
        select(ReviewMeeting).where(ReviewMeeting.id == review_id, ReviewMeeting.team_id == team_id)
    )
    if review is None:
        raise NotFound("I can't find that review any more.")
    return review


def _review_view(session: Session, review: ReviewMeeting) -> MeetingView:
    zone = session.scalar(
        select(MeetingSchedule.timezone).where(
            MeetingSchedule.team_id == review.team_id,
            MeetingSchedule.channel_id == review.channel_id,
        )
    )
    return MeetingView(
        id=review.id,
        team_id=review.team_id,
        channel_id=review.channel_id,
        scheduled_at=review.scheduled_at,
        timezone=zone or "UTC",
    )


def _local_today(review: MeetingView, now: datetime) -> date:
    return now.astimezone(review.local_at.tzinfo).date()


def _overdue_first(actions: Iterable[ActionView], today: date) -> list[ActionView]:
    return sorted(actions, key=lambda a: not a.is_overdue(today))


def cadenced_of(row: MeetingSchedule) -> Cadenced:
    return Cadenced(
        cadence=row.cadence,
        local_time=row.local_time,
        timezone=row.timezone,
        weekday=row.weekday,
        week_of_month=row.week_of_month,
        day_of_month=row.day_of_month,
        lead_days=row.lead_days,
        followup_days=row.followup_days,
        anchor_on=row.anchor_on,
    )


def _schedule_view(row: MeetingSchedule, now: datetime) -> ScheduleView:
    cadence = cadenced_of(row)
    upcoming: list[datetime] = []
    at = now
    for _ in range(3):
        at = cadence.next_at(at)
        upcoming.append(at)
    return ScheduleView(
        team_id=row.team_id,
        channel_id=row.channel_id,
        cadence=cadence,
        next_reviews=tuple(upcoming),
        updated_by=row.updated_by,
    )
