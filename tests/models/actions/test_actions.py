"""Adding actions to a review and listing an owner's open ones."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from handlers.slack.messages import time_of
from models.actions.tables import Action, ActionEvent, ActionStatus
from models.actions.views import ActionView
from models.core.errors import InvalidInput, NotFound, StaleRequest
from models.core.references import Platform
from models.core.text import Said
from models.postmortems.phases import Phase
from models.postmortems.service import Move
from models.postmortems.views import PostmortemView
from models.services import Services

TEAM, OTHER_TEAM = "T0TEAM", "T0OTHER"
CHANNEL = "C0INCIDENT"
FACILITATOR, BEA, CAI = "U0FACIL", "U0BEA", "U0CAI"
TODAY = date(2026, 11, 20)


def test_added_action_is_open_and_has_a_created_event(services: Services) -> None:
    pm = start(services)

    action = add(services, pm, "  Add a canary stage  ", owner=BEA, target_on=TODAY)

    assert (action.description, action.owner_id, action.target_on, action.status) == (
        "Add a canary stage",
        BEA,
        TODAY,
        ActionStatus.OPEN,
    )
    assert (action.postmortem_id, action.channel_id, action.created_by) == (
        pm.id,
        CHANNEL,
        FACILITATOR,
    )
    with services.sessions() as session:
        events = session.execute(
            select(ActionEvent.what, ActionEvent.actor_id).where(ActionEvent.action_id == action.id)
        ).all()
    assert [tuple(event) for event in events] == [("created", FACILITATOR)]


@pytest.mark.parametrize(
    ("description", "target_on", "field"),
    [
        ("   ", None, "description"),
        ("x" * 2001, None, "description"),
        ("Add a canary stage", TODAY - timedelta(days=1), "target_on"),
    ],
    ids=["blank", "too-long", "past-date"],
)
def test_invalid_action_is_refused_naming_the_field(
    services: Services, description: str, target_on: date | None, field: str
) -> None:
    pm = start(services)

    with pytest.raises(InvalidInput) as error:
        add(services, pm, description, target_on=target_on)

    assert error.value.field == field
    assert count_actions(services) == 0


def test_action_cannot_be_added_to_a_closed_review(services: Services) -> None:
    pm = start(services)
    services.postmortems.close(team_id=TEAM, postmortem_id=pm.id, by_user=FACILITATOR)

    with pytest.raises(StaleRequest):
        add(services, pm, "Add a canary stage")
    assert count_actions(services) == 0


def test_action_can_follow_a_lesson_of_its_own_review_only(services: Services) -> None:
    ours = start(services, thread_ts="1.000001")
    theirs = start(services, thread_ts="1.000002")
    our_lesson, their_lesson = lesson(services, ours), lesson(services, theirs)

    assert add(services, ours, "Keep the runbook", lesson_id=our_lesson).lesson_id == our_lesson
    with pytest.raises(NotFound):
        add(services, ours, "Keep their runbook", lesson_id=their_lesson)
    assert count_actions(services) == 1


def test_action_cannot_be_added_to_another_teams_review(services: Services) -> None:
    pm = start(services)

    with pytest.raises(NotFound):
        add(services, pm, "Add a canary stage", team_id=OTHER_TEAM)
    assert count_actions(services) == 0


def test_open_actions_of_an_owner_come_soonest_first_undated_last(services: Services) -> None:
    pm = start(services)
    for name, target_on in [
        ("undated", None),
        ("dec 10", date(2026, 12, 10)),
        ("dec 1", date(2026, 12, 1)),
        ("undated later", None),
        ("dec 5", date(2026, 12, 5)),
    ]:
        add(services, pm, name, owner=BEA, target_on=target_on)
    add(services, pm, "someone else's", owner=CAI, target_on=date(2026, 11, 30))
    for name, status in [
        ("done", ActionStatus.DONE),
        ("dropped", ActionStatus.DROPPED),
        ("blocked", ActionStatus.BLOCKED),
        ("in progress", ActionStatus.IN_PROGRESS),
    ]:
        action = add(services, pm, name, owner=BEA, target_on=date(2026, 11, 25))
        set_status(services, action.id, status)

    listed = services.actions.open_for_owner(team_id=TEAM, owner_id=BEA)

    assert [a.description for a in listed] == [
        "blocked",
        "in progress",
        "dec 1",
        "dec 5",
        "dec 10",
        "undated",
        "undated later",
    ]


def test_open_actions_of_an_owner_stay_within_the_team(services: Services) -> None:
    ours = start(services, thread_ts="1.000001")
    theirs = start(services, thread_ts="1.000002", team_id=OTHER_TEAM)
    add(services, ours, "ours", owner=BEA)
    add(services, theirs, "theirs", owner=BEA, team_id=OTHER_TEAM)

    assert [a.description for a in open_for(services, TEAM)] == ["ours"]
    assert [a.description for a in open_for(services, OTHER_TEAM)] == ["theirs"]


def start(
    services: Services, *, thread_ts: str = "1.000001", team_id: str = TEAM
) -> PostmortemView:
    return services.postmortems.start(
        team_id=team_id,
        channel_id=CHANNEL,
        thread_ref=thread_ts,
        posted_at=time_of(thread_ts),
        title="Checkout outage",
        facilitator_id=FACILITATOR,
    )


def add(
    services: Services,
    pm: PostmortemView,
    description: str,
    *,
    owner: str = BEA,
    target_on: date | None = None,
    lesson_id: int | None = None,
    team_id: str = TEAM,
) -> ActionView:
    return services.actions.add(
        team_id=team_id,
        postmortem_id=pm.id,
        description=description,
        owner_id=owner,
        target_on=target_on,
        lesson_id=lesson_id,
        created_by=FACILITATOR,
        today=TODAY,
    )


def lesson(services: Services, pm: PostmortemView) -> int:
    """A lesson recorded the usual way: a reply while the review asks what went well."""
    postmortems = services.postmortems
    for phase in (Phase.IMPACT, Phase.TIMELINE):
        postmortems.move(
            team_id=TEAM, postmortem_id=pm.id, from_phase=phase, move=Move.NEXT, by_user=FACILITATOR
        )
    outcome = postmortems.record_reply(
        team_id=TEAM,
        channel_id=CHANNEL,
        thread_ref=pm.thread_ref,
        message_ref="1795176000.000001",
        said_at=time_of("1795176000.000001"),
        author_id=BEA,
        said=Said("The #runbook worked"),
        platform=Platform.SLACK,
        event_id=None,
        today=TODAY,
    )
    assert outcome is not None
    assert outcome.lesson is not None
    return outcome.lesson.id


def set_status(services: Services, action_id: int, status: ActionStatus) -> None:
    with services.sessions.begin() as session:
        action = session.get_one(Action, action_id)
        action.change_status(status, by=BEA, at=services.clock.now())


def open_for(services: Services, team_id: str) -> list[ActionView]:
    return services.actions.open_for_owner(team_id=team_id, owner_id=BEA)


def count_actions(services: Services) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(Action)) or 0
