"""The guided review as a service: phases, replies, lessons, quick actions, closing."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from handlers.slack.messages import time_of
from models.actions.tables import Action, ActionEvent, ActionStatus
from models.core.clock import FrozenClock
from models.core.errors import NotAllowed, NotFound, Reason, StaleRequest
from models.core.references import Platform
from models.core.tables import Delivery, DeliveryStatus
from models.lessons.tables import Lesson, LessonKind
from models.postmortems.phases import Phase
from models.postmortems.service import (
    DOCUMENTS_DELIVERY,
    OWNER_DELIVERY,
    ROOT_CLOSED_DELIVERY,
    SUMMARY_DELIVERY,
    Move,
)
from models.postmortems.tables import Answer, PostmortemKind, PostmortemStatus
from models.postmortems.views import PhaseChange, PostmortemView, ReplyOutcome
from models.services import Services
from tests.references import as_slack, as_stored
from tests.said import said
from tests.statements import statements

TEAM, OTHER_TEAM = "T0TEAM", "T0OTHER"
CHANNEL = "C0INCIDENT"
THREAD = "1795168800.000100"
FACILITATOR, BEA, CAI, DAN = "U0FACIL", "U0BEA", "U0CAI", "U0DAN"
TODAY = date(2026, 11, 20)


def test_started_review_is_open_at_impact(services: Services) -> None:
    pm = start(services, title="Release 4.2 retro")

    assert (pm.status, pm.phase, pm.skipped) == (PostmortemStatus.OPEN, Phase.IMPACT, ())
    assert pm.kind is PostmortemKind.RELEASE
    assert services.postmortems.get(team_id=TEAM, postmortem_id=pm.id) == pm


def test_next_and_back_move_one_phase(services: Services) -> None:
    pm = start(services)

    forward = move(services, pm, Phase.IMPACT, Move.NEXT)
    back = move(services, pm, Phase.TIMELINE, Move.BACK)

    assert (forward.left, forward.postmortem.phase, forward.skipped) == (
        Phase.IMPACT,
        Phase.TIMELINE,
        False,
    )
    assert (back.left, back.postmortem.phase) == (Phase.TIMELINE, Phase.IMPACT)
    assert back.postmortem.skipped == ()


def test_skipped_phase_is_remembered_until_left_again_with_next(services: Services) -> None:
    pm = start(services)

    skip = move(services, pm, Phase.IMPACT, Move.SKIP)
    assert (skip.skipped, skip.postmortem.phase, skip.postmortem.skipped) == (
        True,
        Phase.TIMELINE,
        (Phase.IMPACT,),
    )
    assert move(services, pm, Phase.TIMELINE, Move.BACK).postmortem.skipped == (Phase.IMPACT,)
    assert move(services, pm, Phase.IMPACT, Move.NEXT).postmortem.skipped == ()
    assert services.postmortems.get(team_id=TEAM, postmortem_id=pm.id).skipped == ()


def test_button_from_an_earlier_phase_is_stale(services: Services) -> None:
    pm = start(services)
    move(services, pm, Phase.IMPACT, Move.NEXT)

    with pytest.raises(StaleRequest):
        move(services, pm, Phase.IMPACT, Move.NEXT)
    assert services.postmortems.get(team_id=TEAM, postmortem_id=pm.id).phase is Phase.TIMELINE


@pytest.mark.parametrize(
    ("phase", "way"),
    [(Phase.IMPACT, Move.BACK), (Phase.WRAP_UP, Move.NEXT), (Phase.WRAP_UP, Move.SKIP)],
)
def test_moving_past_either_end_is_refused(services: Services, phase: Phase, way: Move) -> None:
    pm = start(services)
    advance_to(services, pm, phase)

    with pytest.raises(StaleRequest, match="no step that way"):
        move(services, pm, phase, way)
    assert services.postmortems.get(team_id=TEAM, postmortem_id=pm.id).phase is phase


def test_reply_is_recorded_against_the_current_phase_with_its_author(
    services: Services,
) -> None:
    pm = start(services)
    advance_to(services, pm, Phase.TIMELINE)

    outcome = reply(services, "10:42 error rate climbed", by=CAI)

    assert outcome is not None
    assert (outcome.answer.phase, outcome.answer.author_id, outcome.answer.text) == (
        Phase.TIMELINE,
        CAI,
        "10:42 error rate climbed",
    )
    assert (outcome.lesson, outcome.action, outcome.problem) == (None, None, None)
    assert answers_by_phase(services, pm) == {Phase.TIMELINE: ["10:42 error rate climbed"]}


@pytest.mark.parametrize(
    ("phase", "kind"),
    [
        (Phase.WENT_WELL, LessonKind.KEEP),
        (Phase.IMPROVE, LessonKind.IMPROVE),
        (Phase.IMPACT, None),
        (Phase.ACTIONS, None),
    ],
)
def test_replies_about_what_went_well_or_badly_become_tagged_lessons(
    services: Services, phase: Phase, kind: LessonKind | None
) -> None:
    pm = start(services)
    advance_to(services, pm, phase)

    outcome = reply(services, "The #Runbook and the #on-call rota; ticket #1 aside", by=BEA)

    assert outcome is not None
    if kind is None:
        assert outcome.lesson is None
        assert count(services, Lesson) == 0
        return
    assert outcome.lesson is not None
    assert (outcome.lesson.kind, outcome.lesson.author_id, outcome.lesson.tags) == (
        kind,
        BEA,
        ("on-call", "runbook"),
    )
    assert services.actions.lessons_of(team_id=TEAM, postmortem_id=pm.id) == [outcome.lesson]


@pytest.mark.parametrize("second_ts", ["same", "different"])
def test_retried_event_is_stored_once(services: Services, second_ts: str) -> None:
    pm = start(services)

    first = reply(services, "checkout failed", ts="1795176000.000001", event_id="Ev1")
    retry = reply(
        services,
        "checkout failed",
        ts="1795176000.000001" if second_ts == "same" else "1795176000.000002",
        event_id="Ev1",
    )

    assert first is not None
    assert retry is None
    assert answers_by_phase(services, pm) == {Phase.IMPACT: ["checkout failed"]}


def test_same_message_under_a_new_event_id_is_stored_once(services: Services) -> None:
    pm = start(services)

    assert reply(services, "checkout failed", ts="1795176000.000001", event_id="Ev1") is not None
    assert reply(services, "checkout failed", ts="1795176000.000001", event_id="Ev2") is None
    assert answers_by_phase(services, pm) == {Phase.IMPACT: ["checkout failed"]}


def test_reply_in_a_thread_that_is_no_review_is_ignored(services: Services) -> None:
    start(services)

    assert reply(services, "hello", thread_ts="1795168800.999999") is None
    assert count(services, Answer) == 0


def test_reply_to_a_closed_review_is_ignored(services: Services) -> None:
    pm = start(services)
    services.postmortems.close(team_id=TEAM, postmortem_id=pm.id, by_user=FACILITATOR)

    assert reply(services, "one more thing") is None
    assert count(services, Answer) == 0


def test_reply_blaming_a_mentioned_person_gets_a_nudge(services: Services) -> None:
    start(services)

    outcome = reply(services, "@U0CAI forgot to renew the cert", by=BEA)

    assert outcome is not None
    assert outcome.nudge is not None
    assert count(services, Delivery) == 1


def test_the_coach_follows_the_settings_of_the_platform_the_reply_came_from(
    engine: Engine, clock: FrozenClock
) -> None:
    # Unshaped: the Teams-shaped run reads both platforms as Teams.
    services = Services.build(engine, clock)
    start(services)
    slack = services.workspaces.for_platform(Platform.SLACK)
    teams = services.workspaces.for_platform(Platform.TEAMS)
    teams.change(team_id=TEAM, by_user=FACILITATOR, coach_enabled=False)
    blaming = "@U0FACIL forgot to renew the cert"  # the coach nudges once per person

    from_teams = reply(services, blaming, by=BEA, platform=Platform.TEAMS)
    from_slack = reply(services, blaming, by=CAI)
    slack.change(team_id=TEAM, by_user=FACILITATOR, coach_enabled=False)
    teams.change(team_id=TEAM, by_user=FACILITATOR, coach_enabled=True)
    slack_off = reply(services, blaming, by=DAN)
    teams_on = reply(services, blaming, by=DAN, platform=Platform.TEAMS)

    assert from_teams is not None and from_teams.nudge is None
    assert from_slack is not None and from_slack.nudge is not None
    assert slack_off is not None and slack_off.nudge is None
    assert teams_on is not None and teams_on.nudge is not None


def test_quick_action_creates_an_action_with_owner_date_and_history(services: Services) -> None:
    pm = start(services)
    advance_to(services, pm, Phase.ACTIONS)

    outcome = reply(services, "action: rotate the db credentials @U0CAI by 2026-12-01", by=BEA)

    assert outcome is not None
    assert outcome.action is not None
    assert outcome.problem is None
    action = outcome.action
    assert (action.description, action.owner_id, action.target_on, action.created_by) == (
        "rotate the db credentials",
        CAI,
        date(2026, 12, 1),
        BEA,
    )
    assert (action.status, action.postmortem_id, action.channel_id) == (
        ActionStatus.OPEN,
        pm.id,
        CHANNEL,
    )
    assert history(services, action.id) == [("created", BEA)]


def test_quick_action_without_owner_is_owned_by_its_author(services: Services) -> None:
    start(services)

    outcome = reply(services, "action: add a canary stage", by=BEA)

    assert outcome is not None
    assert outcome.action is not None
    assert (outcome.action.owner_id, outcome.action.target_on) == (BEA, None)


def test_quick_action_with_unreadable_date_keeps_the_reply_and_explains(
    services: Services,
) -> None:
    pm = start(services)

    outcome = reply(services, "action: rotate the keys by fridya", by=BEA)

    assert outcome is not None
    assert outcome.action is None
    assert outcome.problem is not None
    assert outcome.problem.reason is Reason.ACTION_DATE_UNREADABLE
    assert outcome.problem.params == {"words": "fridya"}
    assert answers_by_phase(services, pm) == {Phase.IMPACT: ["action: rotate the keys by fridya"]}
    assert count(services, Action) == 0


def test_quick_action_with_a_past_date_is_refused(services: Services) -> None:
    start(services)

    outcome = reply(services, "action: rotate the keys by 2026-11-01", by=BEA)

    assert outcome is not None
    assert outcome.action is None
    assert outcome.problem is not None
    assert outcome.problem.reason is Reason.ACTION_DATE_PASSED
    assert outcome.problem.params == {"target_on": "2026-11-01"}
    assert count(services, Action) == 0


def test_edited_reply_updates_the_answer_and_its_lesson(services: Services) -> None:
    pm = start(services)
    advance_to(services, pm, Phase.WENT_WELL)
    reply(services, "The #runbook worked", ts="1795176000.000001")

    outcome = edit(services, "The #Rollback #runbook worked fast", ts="1795176000.000001")

    assert outcome is not None
    assert outcome.answer.text == "The #Rollback #runbook worked fast"
    assert outcome.lesson is not None
    assert (outcome.lesson.text, outcome.lesson.tags) == (
        "The #Rollback #runbook worked fast",
        ("rollback", "runbook"),
    )
    summary = services.postmortems.summary(team_id=TEAM, postmortem_id=pm.id)
    assert [a.text for a in summary.answers[Phase.WENT_WELL]] == [outcome.answer.text]
    assert [(lesson.text, lesson.tags) for lesson in summary.lessons] == [
        ("The #Rollback #runbook worked fast", ("rollback", "runbook"))
    ]


def test_edited_quick_action_updates_the_action(services: Services) -> None:
    start(services)
    first = reply(
        services, "action: rotate keys @U0BEA by 2026-12-01", ts="1795176000.000001", by=BEA
    )
    assert first is not None
    assert first.action is not None

    outcome = edit(services, "action: rotate all keys @U0CAI by 2026-12-04", ts="1795176000.000001")

    assert outcome is not None
    assert outcome.action is not None
    assert outcome.action.id == first.action.id
    assert (outcome.action.description, outcome.action.owner_id, outcome.action.target_on) == (
        "rotate all keys",
        CAI,
        date(2026, 12, 4),
    )
    assert count(services, Action) == 1
    assert history(services, first.action.id) == [("created", BEA), ("edited", BEA)]


@pytest.mark.parametrize(
    ("phase", "text"),
    [(Phase.WENT_WELL, "The #runbook worked"), (Phase.ACTIONS, "action: add alerts @U0CAI")],
)
def test_deleted_reply_takes_its_lesson_or_action_with_it(
    services: Services, phase: Phase, text: str
) -> None:
    pm = start(services)
    advance_to(services, pm, phase)
    reply(services, "kept", ts="1795176000.000001")
    reply(services, text, ts="1795176000.000002")

    deleted = services.postmortems.delete_reply(
        team_id=TEAM,
        channel_id=CHANNEL,
        message_ref="1795176000.000002",
        platform=Platform.SLACK,
        event_id="EvDel",
    )

    assert deleted is True
    assert answers_by_phase(services, pm) == {phase: ["kept"]}
    assert [count(services, table) for table in (Lesson, Action, ActionEvent)] == [
        1 if phase is Phase.WENT_WELL else 0,
        0,
        0,
    ]


def test_close_by_someone_else_is_refused_and_the_review_stays_open(
    services: Services,
) -> None:
    pm = start(services)

    with pytest.raises(NotAllowed):
        services.postmortems.close(team_id=TEAM, postmortem_id=pm.id, by_user=BEA)

    assert services.postmortems.get(team_id=TEAM, postmortem_id=pm.id).is_open
    assert count(services, Delivery) == 0


def test_close_owes_a_summary_the_documents_and_one_note_per_owner_of_open_actions(
    services: Services, clock: FrozenClock
) -> None:
    pm = start(services)
    for owner in (BEA, BEA, CAI):
        add_action(services, pm, owner=owner)
    set_status(services, add_action(services, pm, owner=DAN), ActionStatus.DONE)
    set_status(services, add_action(services, pm, owner=DAN), ActionStatus.DROPPED)

    closed = services.postmortems.close(team_id=TEAM, postmortem_id=pm.id, by_user=FACILITATOR)

    assert (closed.status, closed.closed_at) == (PostmortemStatus.CLOSED, clock.now())
    assert deliveries(services) == [
        (DOCUMENTS_DELIVERY, CHANNEL, pm.id, DeliveryStatus.PENDING),
        (OWNER_DELIVERY, BEA, pm.id, DeliveryStatus.PENDING),
        (OWNER_DELIVERY, CAI, pm.id, DeliveryStatus.PENDING),
        (ROOT_CLOSED_DELIVERY, CHANNEL, pm.id, DeliveryStatus.PENDING),
        (SUMMARY_DELIVERY, CHANNEL, pm.id, DeliveryStatus.PENDING),
    ]


def test_closing_twice_is_stale_and_owes_nothing_more(services: Services) -> None:
    pm = start(services)
    add_action(services, pm, owner=BEA)
    services.postmortems.close(team_id=TEAM, postmortem_id=pm.id, by_user=FACILITATOR)

    with pytest.raises(StaleRequest):
        services.postmortems.close(team_id=TEAM, postmortem_id=pm.id, by_user=FACILITATOR)
    assert count(services, Delivery) == 4


def test_summary_groups_answers_by_phase_and_lists_lessons_and_actions(
    services: Services,
) -> None:
    pm = start(services)
    reply(services, "checkout failed", by=BEA)
    reply(services, "for 14% of users", by=CAI)
    advance_to(services, pm, Phase.WENT_WELL)
    reply(services, "the #runbook worked", by=CAI)
    advance_to(services, pm, Phase.IMPROVE)
    reply(services, "no canary for config", by=BEA)
    advance_to(services, pm, Phase.ACTIONS)
    reply(services, "action: add a canary stage @U0DAN by 2026-12-04", by=BEA)

    summary = services.postmortems.summary(team_id=TEAM, postmortem_id=pm.id)

    assert {
        phase: [(a.author_id, a.text) for a in items] for phase, items in summary.answers.items()
    } == {
        Phase.IMPACT: [(BEA, "checkout failed"), (CAI, "for 14% of users")],
        Phase.WENT_WELL: [(CAI, "the #runbook worked")],
        Phase.IMPROVE: [(BEA, "no canary for config")],
        Phase.ACTIONS: [(BEA, "action: add a canary stage @U0DAN by 2026-12-04")],
    }
    assert [(lesson.kind, lesson.text) for lesson in summary.lessons] == [
        (LessonKind.KEEP, "the #runbook worked"),
        (LessonKind.IMPROVE, "no canary for config"),
    ]
    assert [(a.description, a.owner_id) for a in summary.actions] == [("add a canary stage", DAN)]
    assert summary.participants == (BEA, CAI)


def test_review_of_another_team_is_invisible(services: Services) -> None:
    pm = start(services)

    with pytest.raises(NotFound):
        services.postmortems.get(team_id=OTHER_TEAM, postmortem_id=pm.id)
    with pytest.raises(NotFound):
        services.postmortems.summary(team_id=OTHER_TEAM, postmortem_id=pm.id)
    with pytest.raises(NotFound):
        services.postmortems.close(team_id=OTHER_TEAM, postmortem_id=pm.id, by_user=FACILITATOR)
    with pytest.raises(NotFound):
        services.postmortems.move(
            team_id=OTHER_TEAM,
            postmortem_id=pm.id,
            from_phase=Phase.IMPACT,
            move=Move.NEXT,
            by_user=FACILITATOR,
        )
    assert (
        services.postmortems.in_thread(team_id=OTHER_TEAM, channel_id=CHANNEL, thread_ref=THREAD)
        is None
    )
    assert reply(services, "hello from elsewhere", team_id=OTHER_TEAM) is None
    assert count(services, Answer) == 0
    assert services.postmortems.in_thread(team_id=TEAM, channel_id=CHANNEL, thread_ref=THREAD) == pm


def test_same_thread_ts_in_two_teams_is_two_reviews(services: Services) -> None:
    ours = start(services)
    theirs = start(services, team_id=OTHER_TEAM)

    reply(services, "ours", team_id=TEAM)
    reply(services, "theirs", team_id=OTHER_TEAM)

    assert answers_by_phase(services, ours) == {Phase.IMPACT: ["ours"]}
    assert answers_by_phase(services, theirs) == {Phase.IMPACT: ["theirs"]}


def test_summary_issues_the_same_few_statements_whatever_its_size(services: Services) -> None:
    small = start(services, thread_ts="1795168800.000001")
    fill(services, small, answers=1, lessons=1, actions=1)
    big = start(services, thread_ts="1795168800.000002")
    fill(services, big, answers=10, lessons=10, actions=10)

    with statements(services.engine) as small_count:
        small_summary = services.postmortems.summary(team_id=TEAM, postmortem_id=small.id)
    with statements(services.engine) as big_count:
        big_summary = services.postmortems.summary(team_id=TEAM, postmortem_id=big.id)

    assert sum(len(a) for a in small_summary.answers.values()) == 3
    assert sum(len(a) for a in big_summary.answers.values()) == 30
    assert (len(big_summary.lessons), len(big_summary.actions)) == (10, 10)
    assert len(big_count) == len(small_count), big_count
    # BEGIN, the post-mortem, answers, lessons, actions, the coach's nudge count, and the
    # timeline entries added from messages (issue 4).
    assert len(big_count) <= 7, big_count


_timestamps = itertools.count(1)


def start(
    services: Services,
    *,
    team_id: str = TEAM,
    thread_ts: str = THREAD,
    title: str = "Checkout outage",
) -> PostmortemView:
    return services.postmortems.start(
        team_id=team_id,
        channel_id=CHANNEL,
        thread_ref=thread_ts,
        posted_at=time_of(thread_ts),
        title=title,
        facilitator_id=FACILITATOR,
    )


def move(services: Services, pm: PostmortemView, from_phase: Phase, way: Move) -> PhaseChange:
    return services.postmortems.move(
        team_id=pm.team_id,
        postmortem_id=pm.id,
        from_phase=from_phase,
        move=way,
        by_user=FACILITATOR,
    )


def advance_to(services: Services, pm: PostmortemView, phase: Phase) -> None:
    current = services.postmortems.get(team_id=pm.team_id, postmortem_id=pm.id).phase
    while current is not phase:
        current = move(services, pm, current, Move.NEXT).postmortem.phase


def reply(
    services: Services,
    text: str,
    *,
    by: str = BEA,
    ts: str | None = None,
    event_id: str | None = None,
    team_id: str = TEAM,
    thread_ts: str = THREAD,
    platform: Platform = Platform.SLACK,
) -> ReplyOutcome | None:
    n = next(_timestamps)
    return services.postmortems.record_reply(
        team_id=team_id,
        channel_id=CHANNEL,
        thread_ref=thread_ts,
        message_ref=ts or f"1795176000.{n:06d}",
        said_at=time_of(ts or f"1795176000.{n:06d}"),
        author_id=by,
        said=said(text),
        platform=platform,
        event_id=event_id or f"Ev{n:08d}",
        today=TODAY,
    )


def edit(services: Services, text: str, *, ts: str) -> ReplyOutcome | None:
    return services.postmortems.edit_reply(
        team_id=TEAM,
        channel_id=CHANNEL,
        message_ref=ts,
        said=said(text),
        platform=Platform.SLACK,
        event_id=f"EvEdit{next(_timestamps)}",
        today=TODAY,
    )


def add_action(services: Services, pm: PostmortemView, *, owner: str) -> int:
    return services.actions.add(
        team_id=pm.team_id,
        postmortem_id=pm.id,
        description=f"something for {owner}",
        owner_id=owner,
        target_on=None,
        lesson_id=None,
        created_by=FACILITATOR,
        today=TODAY,
    ).id


def set_status(services: Services, action_id: int, status: ActionStatus) -> None:
    with services.sessions.begin() as session:
        action = session.get_one(Action, action_id)
        action.change_status(status, by=as_stored(services, FACILITATOR), at=services.clock.now())


def fill(
    services: Services, pm: PostmortemView, *, answers: int, lessons: int, actions: int
) -> None:
    """`answers` plain replies, `lessons` lessons and `actions` quick actions: one reply each."""
    for i in range(answers):
        reply(services, f"impact {i}", thread_ts=pm.thread_ref)
    advance_to(services, pm, Phase.WENT_WELL)
    for i in range(lessons):
        reply(services, f"went well {i} #tag{i}", thread_ts=pm.thread_ref)
    advance_to(services, pm, Phase.ACTIONS)
    for i in range(actions):
        reply(services, f"action: fix {i} @U0CAI by 2026-12-0{1 + i % 9}", thread_ts=pm.thread_ref)


def answers_by_phase(services: Services, pm: PostmortemView) -> dict[Phase, list[str]]:
    summary = services.postmortems.summary(team_id=pm.team_id, postmortem_id=pm.id)
    return {phase: [a.text for a in items] for phase, items in summary.answers.items()}


def history(services: Services, action_id: int) -> list[tuple[str, str]]:
    with services.sessions() as session:
        rows = session.execute(
            select(ActionEvent.what, ActionEvent.actor_id)
            .where(ActionEvent.action_id == action_id)
            .order_by(ActionEvent.id)
        )
        return as_slack(services, [(what, actor) for what, actor in rows])


def deliveries(services: Services) -> list[tuple[str, str, int | None, DeliveryStatus]]:
    with services.sessions() as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.kind, Delivery.recipient_id))
        return as_slack(services, [(d.kind, d.recipient_id, d.subject_id, d.status) for d in rows])


def count(services: Services, table: type[Any]) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0
