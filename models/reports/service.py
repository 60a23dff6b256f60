"""Report data: the programme-board summary, the latest review of a channel, CSV exports.

Each report is a constant number of queries whatever the data size (the rows of a channel
are loaded once, as plain columns, and counted in Python); see tests/models/test_reports.py.

"Open lesson" and "overdue" are the rules of models/lessons/tables.py (`is_open_lesson`)
and models/actions/tables.py (`is_overdue`), which the review agenda uses too.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from models.actions.tables import Action, ActionStatus, is_overdue
from models.actions.views import TrendPoint
from models.core.clock import Clock
from models.core.errors import NotFound, Reason
from models.core.outbox import enqueue, owe_latest
from models.core.views import DeliveryView
from models.lessons.tables import Lesson, LessonKind, is_open_lesson
from models.okrs.tables import Confidence, KeyResult, Objective
from models.okrs.views import progress as okr_progress
from models.postmortems.tables import Postmortem, PostmortemKind
from models.postmortems.views import PostmortemView
from models.reports.tables import BoardSummaryPost

# A result row of plain columns (sqlalchemy.Row, read by attribute name).
_Row = Any

TREND_POINTS = 6
NEXT_STEPS = 10

# A programme-board summary owed to the conversation it was asked for in.
BOARD_DELIVERY = "reports.board"
# A review's documents, uploaded again to its thread when someone asks for them.
DOCUMENTS_AGAIN_DELIVERY = "reports.documents"


@dataclass(frozen=True, slots=True)
class ActionLine:
    id: int
    description: str
    owner_id: str
    target_on: date | None
    status: ActionStatus
    created_at: datetime
    closed_at: datetime | None
    postmortem_title: str | None
    permalink: str | None

    def is_overdue(self, today: date) -> bool:
        return is_overdue(self.target_on, self.status, today)


@dataclass(frozen=True, slots=True)
class OwnerLoad:
    owner_id: str
    open: int
    overdue: int


@dataclass(frozen=True, slots=True)
class StatusCount:
    status: ActionStatus
    count: int


@dataclass(frozen=True, slots=True)
class BoardSummary:
    team_id: str
    channel_id: str
    period: str
    start: datetime | None
    end: datetime
    today: date
    last_summary_at: datetime | None
    postmortems: int
    keep_lessons: int
    improve_lessons: int
    actions_identified: int
    by_status: tuple[StatusCount, ...]
    open_actions: int
    open_lessons: int
    owners: tuple[OwnerLoad, ...]
    overdue: tuple[ActionLine, ...]
    completed: tuple[ActionLine, ...]
    next_steps: tuple[ActionLine, ...]
    trend: tuple[TrendPoint, ...]
    trend_basis: str  # "releases" or "months"
    # The channel's current objectives (models/okrs), for a short OKR section.
    okrs: tuple[OkrLine, ...] = ()

    @property
    def lessons_identified(self) -> int:
        return self.keep_lessons + self.improve_lessons


@dataclass(frozen=True, slots=True)
class OkrLine:
    """An objective as the board sees it: its score and how many key results are on track."""

    id: int
    title: str
    ends_on: date
    score: float
    key_results: int
    on_track: int


@dataclass(frozen=True, slots=True)
class PostedBoard:
    post_id: int
    posted_in: str
    channel_name: str
    board: BoardSummary


@dataclass(frozen=True, slots=True)
class ExportedAction:
    id: int
    description: str
    owner_id: str
    target_on: date | None
    status: ActionStatus
    lesson_text: str | None
    postmortem_title: str | None
    permalink: str | None


@dataclass(frozen=True, slots=True)
class ExportedLesson:
    id: int
    kind: LessonKind
    text: str
    author_id: str
    tags: tuple[str, ...]
    is_open: bool
    postmortem_title: str | None
    permalink: str | None


class Reports:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions, self._clock = sessions, clock

    def latest_in_channel(self, *, team_id: str, channel_id: str) -> PostmortemView:
        with self._sessions() as session:
            row = session.scalar(
                select(Postmortem)
                .where(Postmortem.team_id == team_id, Postmortem.channel_id == channel_id)
                .order_by(Postmortem.created_at.desc(), Postmortem.id.desc())
                .limit(1)
            )
            if row is None:
                raise NotFound(reason=Reason.NO_POSTMORTEM_IN_CHANNEL)
            return PostmortemView.of(row)

    def board(
        self,
        *,
        team_id: str,
        channel_id: str,
        today: date,
        since: datetime | None = None,
        release: str | None = None,
    ) -> BoardSummary:
        """The programme-board summary of a channel's reviews.

        The period is `since` to now, or the named release review back to the release
        before it, or (neither given) everything since the last summary posted for the
        channel."""
        with self._sessions() as session:
            return self._board(
                session,
                team_id=team_id,
                channel_id=channel_id,
                today=today,
                since=since,
                release=release,
                now=self._clock.now(),
            )

    def post_board(
        self,
        *,
        team_id: str,
        channel_id: str,
        channel_name: str,
        posted_in: str,
        posted_by: str,
        today: date,
        since: datetime | None = None,
        release: str | None = None,
    ) -> PostedBoard:
        """Record a summary as posted in `posted_in` and owe its post (BOARD_DELIVERY), in
        one transaction: the next summary reports what was completed since this one."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            board = self._board(
                session,
                team_id=team_id,
                channel_id=channel_id,
                today=today,
                since=since,
                release=release,
                now=now,
            )
            post = BoardSummaryPost(
                team_id=team_id,
                channel_id=channel_id,
                posted_in=posted_in,
                posted_by=posted_by,
                period=board.period[:200],
                posted_at=now,
            )
            session.add(post)
            session.flush()
            enqueue(
                session,
                team_id=team_id,
                kind=BOARD_DELIVERY,
                recipient_id=posted_in,
                dedupe_key=f"{BOARD_DELIVERY}:{post.id}",
                due_at=now,
                now=now,
                subject_id=post.id,
                payload={
                    "channel_name": channel_name,
                    "today": today.isoformat(),
                    "since": since.isoformat() if since is not None else None,
                    "release": release,
                },
            )
            return PostedBoard(post.id, posted_in, channel_name, board)

    def posted_board(self, *, delivery: DeliveryView) -> PostedBoard | None:
        """The summary a BOARD_DELIVERY owes, as it was when recorded (the period it
        covered, counted now); None if it was withdrawn."""
        payload = delivery.payload
        with self._sessions() as session:
            post = session.get(BoardSummaryPost, delivery.subject_id)
            if post is None or post.team_id != delivery.team_id:
                return None
            since = payload.get("since")
            board = self._board(
                session,
                team_id=post.team_id,
                channel_id=post.channel_id,
                today=date.fromisoformat(payload["today"]),
                since=datetime.fromisoformat(since) if since is not None else None,
                release=payload.get("release"),
                now=post.posted_at,
                before_post_id=post.id,
            )
            return PostedBoard(post.id, post.posted_in, str(payload["channel_name"]), board)

    def owe_documents(self, *, team_id: str, postmortem_id: int, channel_id: str) -> int:
        """Owe a review's documents in its thread; returns the delivery's id. Asked for
        twice before they go out, they go out once."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            return owe_latest(
                session,
                team_id=team_id,
                kind=DOCUMENTS_AGAIN_DELIVERY,
                recipient_id=channel_id,
                topic=str(postmortem_id),
                now=now,
                subject_id=postmortem_id,
            )

    def withdraw_board(self, *, team_id: str, post_id: int) -> None:
        """Forget a summary that could not be posted (the app is not in the channel), so
        the next one does not count from it."""
        with self._sessions.begin() as session:
            session.execute(
                delete(BoardSummaryPost).where(
                    BoardSummaryPost.id == post_id, BoardSummaryPost.team_id == team_id
                )
            )

    def _board(
        self,
        session: Session,
        *,
        team_id: str,
        channel_id: str,
        today: date,
        since: datetime | None,
        release: str | None,
        now: datetime,
        before_post_id: int | None = None,
    ) -> BoardSummary:
        earlier = select(BoardSummaryPost.posted_at).where(
            BoardSummaryPost.team_id == team_id, BoardSummaryPost.channel_id == channel_id
        )
        if before_post_id is not None:
            earlier = earlier.where(BoardSummaryPost.id < before_post_id)
        last_summary_at = session.scalar(
            earlier.order_by(BoardSummaryPost.posted_at.desc()).limit(1)
        )
        postmortems = session.execute(
            select(
                Postmortem.id,
                Postmortem.title,
                Postmortem.kind,
                Postmortem.permalink,
                Postmortem.created_at,
                Postmortem.closed_at,
            )
            .where(Postmortem.team_id == team_id, Postmortem.channel_id == channel_id)
            .order_by(Postmortem.created_at, Postmortem.id)
        ).all()
        lessons = session.execute(
            select(Lesson.id, Lesson.kind, Lesson.created_at).where(
                Lesson.team_id == team_id, Lesson.channel_id == channel_id
            )
        ).all()
        actions = session.execute(
            select(
                Action.id,
                Action.description,
                Action.owner_id,
                Action.target_on,
                Action.status,
                Action.created_at,
                Action.closed_at,
                Action.postmortem_id,
                Action.lesson_id,
            ).where(Action.team_id == team_id, Action.channel_id == channel_id)
        ).all()
        releases = [pm for pm in postmortems if pm.kind is PostmortemKind.RELEASE]
        start, end, period = _period(
            releases, since=since, release=release, last_summary_at=last_summary_at, now=now
        )
        titles = {pm.id: (pm.title, pm.permalink) for pm in postmortems}
        lines = [_line(a, titles) for a in actions]
        lesson_actions: dict[int, list[_Row]] = defaultdict(list)
        for a in actions:
            if a.lesson_id is not None:
                lesson_actions[a.lesson_id].append(a)

        def within(at: datetime) -> bool:
            return (start is None or at > start) and at <= end

        identified = [line for line in lines if within(line.created_at)]
        statuses = Counter(line.status for line in identified)
        open_now = [line for line in lines if not line.status.is_closed and line.created_at <= end]
        owners: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for line in open_now:
            owners[line.owner_id][0] += 1
            owners[line.owner_id][1] += line.is_overdue(today)
        completed_after = last_summary_at if since is None and release is None else start
        completed = [
            line
            for line in lines
            if line.status is ActionStatus.DONE
            and line.closed_at is not None
            and (completed_after is None or line.closed_at > completed_after)
            and line.closed_at <= end
        ]
        trend_at, basis = _trend_points(releases, end)
        return BoardSummary(
            team_id=team_id,
            channel_id=channel_id,
            period=period,
            start=start,
            end=end,
            today=today,
            last_summary_at=last_summary_at,
            postmortems=sum(1 for pm in postmortems if within(pm.created_at)),
            keep_lessons=sum(
                1 for le in lessons if le.kind is LessonKind.KEEP and within(le.created_at)
            ),
            improve_lessons=sum(
                1 for le in lessons if le.kind is LessonKind.IMPROVE and within(le.created_at)
            ),
            actions_identified=len(identified),
            by_status=tuple(StatusCount(s, statuses[s]) for s in ActionStatus if statuses[s]),
            open_actions=len(open_now),
            open_lessons=_open_lessons(lessons, lesson_actions, end),
            owners=tuple(
                OwnerLoad(owner, counts[0], counts[1])
                for owner, counts in sorted(owners.items(), key=lambda kv: (-kv[1][0], kv[0]))
            ),
            overdue=tuple(
                sorted(
                    (line for line in open_now if line.is_overdue(today)),
                    key=lambda line: (line.target_on, line.id),
                )
            ),
            completed=tuple(sorted(completed, key=lambda line: (line.closed_at, line.id))),
            next_steps=tuple(
                sorted(
                    open_now,
                    key=lambda line: (line.target_on is None, line.target_on or today, line.id),
                )[:NEXT_STEPS]
            ),
            trend=tuple(
                TrendPoint(
                    at,
                    _open_actions_at(actions, at),
                    _open_lessons(lessons, lesson_actions, at),
                    label,
                )
                for label, at in trend_at
            ),
            trend_basis=basis,
            okrs=_okr_lines(session, team_id, channel_id, today),
        )

    def record_board_posted(
        self, *, team_id: str, channel_id: str, posted_in: str, posted_by: str, period: str
    ) -> None:
        """Remember a posted summary: the next one reports what was completed since."""
        with self._sessions.begin() as session:
            session.add(
                BoardSummaryPost(
                    team_id=team_id,
                    channel_id=channel_id,
                    posted_in=posted_in,
                    posted_by=posted_by,
                    period=period[:200],
                    posted_at=self._clock.now(),
                )
            )

    def export_actions(self, *, team_id: str, channel_id: str) -> list[ExportedAction]:
        with self._sessions() as session:
            rows = session.execute(
                select(Action, Lesson.text, Postmortem.title, Postmortem.permalink)
                .outerjoin(Lesson, Lesson.id == Action.lesson_id)
                .outerjoin(Postmortem, Postmortem.id == Action.postmortem_id)
                .where(Action.team_id == team_id, Action.channel_id == channel_id)
                .order_by(Action.id)
            ).all()
            return [
                ExportedAction(
                    a.id, a.description, a.owner_id, a.target_on, a.status, lesson, title, link
                )
                for a, lesson, title, link in rows
            ]

    def export_lessons(self, *, team_id: str, channel_id: str) -> list[ExportedLesson]:
        with self._sessions() as session:
            rows = session.execute(
                select(Lesson, Postmortem.title, Postmortem.permalink)
                .outerjoin(Postmortem, Postmortem.id == Lesson.postmortem_id)
                .where(Lesson.team_id == team_id, Lesson.channel_id == channel_id)
                .order_by(Lesson.id)
            ).all()
            statuses: dict[int | None, list[ActionStatus]] = defaultdict(list)
            for lesson_id, status in session.execute(
                select(Action.lesson_id, Action.status).where(
                    Action.team_id == team_id,
                    Action.channel_id == channel_id,
                    Action.lesson_id.is_not(None),
                )
            ):
                statuses[lesson_id].append(status)
            return [
                ExportedLesson(
                    lesson.id,
                    lesson.kind,
                    lesson.text,
                    lesson.author_id,
                    tuple(lesson.tags),
                    is_open_lesson(lesson.kind, (not s.is_closed for s in statuses[lesson.id])),
                    title,
                    link,
                )
                for lesson, title, link in rows
            ]


def _period(
    releases: Sequence[_Row],
    *,
    since: datetime | None,
    release: str | None,
    last_summary_at: datetime | None,
    now: datetime,
) -> tuple[datetime | None, datetime, str]:
    if since is not None:
        return since, now, f"since {since:%d %b %Y}"
    if release is not None:
        wanted = release.strip().lower()
        matches = [i for i, pm in enumerate(releases) if wanted in pm.title.lower()]
        if not wanted or not matches:
            raise NotFound(
                f"I can't find a release review whose title mentions “{release.strip()[:80]}” "
                "in that channel."
            )
        i = matches[-1]
        chosen = releases[i]
        start = _point(releases[i - 1]) if i > 0 else None
        return start, _point(chosen), f"release {chosen.title}"
    if last_summary_at is not None:
        return last_summary_at, now, f"since the last summary ({last_summary_at:%d %b %Y})"
    return None, now, "all time"


def _point(postmortem: _Row) -> datetime:
    """Where a release review sits in time: when it closed, or started if still open."""
    at: datetime = postmortem.closed_at or postmortem.created_at
    return at


def _trend_points(
    releases: Sequence[_Row], end: datetime
) -> tuple[list[tuple[str, datetime]], str]:
    points = [(pm.title, _point(pm)) for pm in releases if _point(pm) <= end]
    if points:
        return sorted(points, key=lambda p: p[1])[-TREND_POINTS:], "releases"
    # No releases: the ends of the last months, the current month up to `end`.
    months: list[tuple[str, datetime]] = [(f"{end:%b %Y}", end)]
    year, month = end.year, end.month
    for _ in range(TREND_POINTS - 1):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        last_day = calendar.monthrange(year, month)[1]
        at = datetime(year, month, last_day, 23, 59, 59, tzinfo=UTC)
        months.append((f"{at:%b %Y}", at))
    return months[::-1], "months"


def _line(a: _Row, titles: dict[int, tuple[str, str | None]]) -> ActionLine:
    title, permalink = titles.get(a.postmortem_id, (None, None))
    return ActionLine(
        a.id,
        a.description,
        a.owner_id,
        a.target_on,
        a.status,
        a.created_at,
        a.closed_at,
        title,
        permalink,
    )


def _open_at(a: _Row, at: datetime) -> bool:
    return bool(a.created_at <= at and (a.closed_at is None or a.closed_at > at))


def _open_actions_at(actions: Sequence[_Row], at: datetime) -> int:
    return sum(1 for a in actions if _open_at(a, at))


def _open_lessons(
    lessons: Sequence[_Row], lesson_actions: dict[int, list[_Row]], at: datetime
) -> int:
    """Lessons open at `at`, by the actions that existed then and were open then."""
    return sum(
        1
        for lesson in lessons
        if lesson.created_at <= at
        and is_open_lesson(
            lesson.kind,
            (_open_at(a, at) for a in lesson_actions.get(lesson.id, ()) if a.created_at <= at),
        )
    )


def _okr_lines(session: Session, team_id: str, channel_id: str, today: date) -> tuple[OkrLine, ...]:
    """The channel's current objectives with their key results: one query."""
    rows = session.execute(
        select(
            Objective.id,
            Objective.title,
            Objective.ends_on,
            KeyResult.kind,
            KeyResult.start_value,
            KeyResult.target_value,
            KeyResult.current_value,
            KeyResult.confidence,
        )
        .join(KeyResult, KeyResult.objective_id == Objective.id)
        .where(
            Objective.team_id == team_id,
            Objective.channel_id == channel_id,
            Objective.starts_on <= today,
            Objective.ends_on >= today,
        )
        .order_by(Objective.id, KeyResult.id)
    ).all()
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.id].append(row)
    return tuple(
        OkrLine(
            id=objective_id,
            title=krs[0].title,
            ends_on=krs[0].ends_on,
            score=sum(
                okr_progress(kr.kind, kr.start_value, kr.target_value, kr.current_value)
                for kr in krs
            )
            / len(krs),
            key_results=len(krs),
            on_track=sum(1 for kr in krs if kr.confidence is Confidence.ON_TRACK),
        )
        for objective_id, krs in grouped.items()
    )
