"""Report data: the programme-board summary, exports, the latest review of a channel."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from models.actions.tables import Action, ActionStatus
from models.core.clock import FrozenClock
from models.core.errors import NotFound
from models.lessons.tables import Lesson, LessonKind
from models.postmortems.phases import Phase
from models.postmortems.tables import Postmortem, PostmortemKind, PostmortemStatus
from models.services import Services
from tests.references import stored_row
from tests.statements import statements

TEAM, CHANNEL, OTHER_CHANNEL = "T0TEAM", "C0BOARD", "C0OTHER"
BEA, CAI, DAN = "U0BEA", "U0CAI", "U0DAN"
TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)
_ts = itertools.count(1)


def at(days_ago: float) -> datetime:
    return NOW - timedelta(days=days_ago)


def add_postmortem(
    services: Services,
    title: str = "Checkout outage",
    *,
    created: datetime,
    closed: datetime | None = None,
    channel: str = CHANNEL,
) -> int:
    with services.sessions.begin() as session:
        row = stored_row(
            services,
            Postmortem,
            team_id=TEAM,
            channel_id=channel,
            thread_ref=f"1763000000.{next(_ts):06d}",
            permalink="https://fake.slack.test/archives/C0BOARD/p1",
            title=title,
            kind=PostmortemKind.RELEASE
            if title.lower().startswith("release")
            else PostmortemKind.INCIDENT,
            facilitator_id=BEA,
            status=PostmortemStatus.CLOSED if closed else PostmortemStatus.OPEN,
            phase=Phase.WRAP_UP,
            skipped_phases=[],
            created_at=created,
            updated_at=created,
            closed_at=closed,
        )
        session.add(row)
        session.flush()
        return row.id


def add_lesson(
    services: Services, pm: int, kind: LessonKind, *, created: datetime, text: str = "a lesson"
) -> int:
    with services.sessions.begin() as session:
        row = stored_row(
            services,
            Lesson,
            team_id=TEAM,
            channel_id=session.get_one(Postmortem, pm).channel_id,
            postmortem_id=pm,
            kind=kind,
            text=text,
            author_id=CAI,
            tags=["deploy"],
            created_at=created,
            updated_at=created,
        )
        session.add(row)
        session.flush()
        return row.id


def add_action(
    services: Services,
    pm: int,
    *,
    owner: str = BEA,
    created: datetime,
    status: ActionStatus = ActionStatus.OPEN,
    closed: datetime | None = None,
    target: date | None = None,
    lesson: int | None = None,
    description: str = "an action",
) -> int:
    with services.sessions.begin() as session:
        row = stored_row(
            services,
            Action,
            team_id=TEAM,
            channel_id=session.get_one(Postmortem, pm).channel_id,
            postmortem_id=pm,
            lesson_id=lesson,
            description=description,
            owner_id=owner,
            target_on=target,
            status=status,
            created_by=CAI,
            created_at=created,
            updated_at=created,
            closed_at=closed,
        )
        session.add(row)
        session.flush()
        return row.id


def test_board_counts_lessons_actions_owners_overdue_and_next_steps(services: Services) -> None:
    pm = add_postmortem(services, created=at(10), closed=at(9))
    keep = add_lesson(services, pm, LessonKind.KEEP, created=at(10))
    improve_without_action = add_lesson(services, pm, LessonKind.IMPROVE, created=at(10))
    improve_done = add_lesson(services, pm, LessonKind.IMPROVE, created=at(10))
    improve_half = add_lesson(services, pm, LessonKind.IMPROVE, created=at(10))
    done = add_action(
        services, pm, lesson=improve_done, created=at(10), status=ActionStatus.DONE, closed=at(2)
    )
    add_action(
        services, pm, lesson=improve_half, created=at(10), status=ActionStatus.DROPPED, closed=at(2)
    )
    late = add_action(
        services,
        pm,
        lesson=improve_half,
        owner=CAI,
        created=at(10),
        target=TODAY - timedelta(days=1),
    )
    soon = add_action(
        services,
        pm,
        created=at(10),
        target=TODAY + timedelta(days=3),
        status=ActionStatus.IN_PROGRESS,
    )
    undated = add_action(services, pm, created=at(9))
    other = add_postmortem(services, created=at(5), channel=OTHER_CHANNEL)
    add_action(services, other, created=at(5))

    summary = services.reports.board(team_id=TEAM, channel_id=CHANNEL, today=TODAY)

    assert (summary.postmortems, summary.keep_lessons, summary.improve_lessons) == (1, 1, 3)
    assert summary.actions_identified == 5
    assert {(s.status, s.count) for s in summary.by_status} == {
        (ActionStatus.OPEN, 2),
        (ActionStatus.IN_PROGRESS, 1),
        (ActionStatus.DONE, 1),
        (ActionStatus.DROPPED, 1),
    }
    assert summary.open_actions == 3
    # improve_without_action and improve_half are open; improve_done is not; keep never is.
    assert summary.open_lessons == 2
    assert [(o.owner_id, o.open, o.overdue) for o in summary.owners] == [(BEA, 2, 0), (CAI, 1, 1)]
    assert [a.id for a in summary.overdue] == [late]
    assert [a.id for a in summary.next_steps] == [late, soon, undated]
    assert [a.id for a in summary.completed] == [done]
    assert summary.period == "all time" and summary.trend_basis == "months"
    assert keep and improve_without_action


def test_completed_since_the_last_summary_counts_only_what_closed_after_it(
    services: Services, clock: FrozenClock
) -> None:
    pm = add_postmortem(services, created=at(30))
    add_action(
        services, pm, created=at(30), status=ActionStatus.DONE, closed=at(20), description="old"
    )
    services.reports.record_board_posted(
        team_id=TEAM, channel_id=CHANNEL, posted_in="C0PROG", posted_by=DAN, period="all time"
    )
    clock.advance(timedelta(days=7))
    add_action(
        services,
        pm,
        created=at(30),
        status=ActionStatus.DONE,
        closed=NOW + timedelta(days=3),
        description="new",
    )
    add_lesson(services, pm, LessonKind.KEEP, created=NOW + timedelta(days=1))

    summary = services.reports.board(team_id=TEAM, channel_id=CHANNEL, today=TODAY)

    assert [a.description for a in summary.completed] == ["new"]
    assert summary.last_summary_at == NOW
    assert summary.period == "since the last summary (20 Nov 2026)"
    assert (summary.keep_lessons, summary.actions_identified) == (1, 0)


def test_release_period_runs_from_the_release_before_and_the_trend_follows_releases(
    services: Services,
) -> None:
    r1 = add_postmortem(services, "Release 4.0 retro", created=at(60), closed=at(59))
    r2 = add_postmortem(services, "Release 4.1 retro", created=at(30), closed=at(29))
    r3 = add_postmortem(services, "Release 4.2 retro", created=at(5), closed=at(4))
    first = add_lesson(services, r1, LessonKind.IMPROVE, created=at(60))
    add_action(services, r1, lesson=first, created=at(60), status=ActionStatus.DONE, closed=at(10))
    add_lesson(services, r2, LessonKind.IMPROVE, created=at(30))
    add_action(services, r2, created=at(30))
    add_lesson(services, r3, LessonKind.KEEP, created=at(5))

    summary = services.reports.board(team_id=TEAM, channel_id=CHANNEL, today=TODAY, release="4.1")

    assert summary.period == "release Release 4.1 retro"
    assert (summary.start, summary.end) == (at(59), at(29))
    assert (summary.improve_lessons, summary.keep_lessons, summary.actions_identified) == (1, 0, 1)
    assert summary.trend_basis == "releases"
    assert [(p.label, p.open_actions, p.open_lessons) for p in summary.trend] == [
        ("Release 4.0 retro", 1, 1),
        ("Release 4.1 retro", 2, 2),
    ]
    latest = services.reports.board(team_id=TEAM, channel_id=CHANNEL, today=TODAY)
    assert [(p.open_actions, p.open_lessons) for p in latest.trend] == [(1, 1), (2, 2), (1, 1)]


def test_trend_falls_back_to_months_without_release_reviews(services: Services) -> None:
    pm = add_postmortem(services, created=at(80))  # 1 Sep
    linked = add_lesson(services, pm, LessonKind.IMPROVE, created=at(80))
    add_lesson(services, pm, LessonKind.IMPROVE, created=at(30))  # 21 Oct, no action
    add_action(  # closed 11 Oct
        services, pm, lesson=linked, created=at(80), status=ActionStatus.DONE, closed=at(40)
    )

    summary = services.reports.board(team_id=TEAM, channel_id=CHANNEL, today=TODAY)

    assert [p.label for p in summary.trend] == [
        "Jun 2026",
        "Jul 2026",
        "Aug 2026",
        "Sep 2026",
        "Oct 2026",
        "Nov 2026",
    ]
    assert [(p.open_actions, p.open_lessons) for p in summary.trend] == [
        (0, 0),
        (0, 0),
        (0, 0),
        (1, 1),
        (0, 1),
        (0, 1),
    ]


def test_since_a_date_limits_what_was_identified(services: Services) -> None:
    pm = add_postmortem(services, created=at(40))
    add_lesson(services, pm, LessonKind.KEEP, created=at(40))
    add_lesson(services, pm, LessonKind.KEEP, created=at(3))

    summary = services.reports.board(team_id=TEAM, channel_id=CHANNEL, today=TODAY, since=at(7))

    assert (summary.keep_lessons, summary.postmortems, summary.period) == (
        1,
        0,
        "since 13 Nov 2026",
    )


def test_unknown_release_is_a_polite_not_found(services: Services) -> None:
    add_postmortem(services, "Release 4.0 retro", created=at(3))
    with pytest.raises(NotFound, match=r"5\.0"):
        services.reports.board(team_id=TEAM, channel_id=CHANNEL, today=TODAY, release="5.0")


def test_board_issues_the_same_few_statements_whatever_its_size(services: Services) -> None:
    def seed(count: int, channel: str) -> None:
        for i in range(count):
            pm = add_postmortem(
                services, f"Release {i}", created=at(50 - i), closed=at(49 - i), channel=channel
            )
            lesson = add_lesson(services, pm, LessonKind.IMPROVE, created=at(50 - i))
            add_action(services, pm, lesson=lesson, created=at(50 - i), target=TODAY)

    seed(1, CHANNEL)
    seed(12, OTHER_CHANNEL)
    with statements(services.engine) as small:
        small_board = services.reports.board(team_id=TEAM, channel_id=CHANNEL, today=TODAY)
    with statements(services.engine) as big:
        big_board = services.reports.board(team_id=TEAM, channel_id=OTHER_CHANNEL, today=TODAY)

    assert (small_board.actions_identified, big_board.actions_identified) == (1, 12)
    assert len(big_board.trend) == 6
    assert len(big) == len(small), big
    # (BEGIN,) the last summary, post-mortems, lessons, actions, the channel's OKRs.
    assert len(big) <= 6, big


def test_exports_carry_the_review_and_the_open_state_of_lessons(services: Services) -> None:
    pm = add_postmortem(services, created=at(10))
    done = add_lesson(services, pm, LessonKind.IMPROVE, created=at(10), text="no canary")
    add_lesson(services, pm, LessonKind.IMPROVE, created=at(10), text="no alert")
    add_lesson(services, pm, LessonKind.KEEP, created=at(10), text="runbook")
    add_action(services, pm, lesson=done, created=at(10), status=ActionStatus.DONE, closed=at(1))
    add_action(services, pm, created=at(10), description="alert on errors", target=TODAY)

    lessons = services.reports.export_lessons(team_id=TEAM, channel_id=CHANNEL)
    actions = services.reports.export_actions(team_id=TEAM, channel_id=CHANNEL)

    assert [(le.text, le.is_open) for le in lessons] == [
        ("no canary", False),
        ("no alert", True),
        ("runbook", False),
    ]
    assert [(a.description, a.lesson_text, a.postmortem_title) for a in actions] == [
        ("an action", "no canary", "Checkout outage"),
        ("alert on errors", None, "Checkout outage"),
    ]


def test_latest_in_channel_is_the_newest_review(services: Services) -> None:
    with pytest.raises(NotFound):
        services.reports.latest_in_channel(team_id=TEAM, channel_id=CHANNEL)
    add_postmortem(services, "older", created=at(5))
    newer = add_postmortem(services, "newer", created=at(1))
    add_postmortem(services, "elsewhere", created=at(0), channel=OTHER_CHANNEL)

    assert services.reports.latest_in_channel(team_id=TEAM, channel_id=CHANNEL).id == newer
