"""What people did first wins over what was processed first: a reply, its edits, its
deletion and a click of Next, processed in every order."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select

from handlers.slack.messages import time_of
from models.core.references import Platform
from models.core.text import Said
from models.lessons.tables import Lesson
from models.postmortems.phases import Phase
from models.postmortems.service import Move
from models.postmortems.tables import Answer, MessageChangeKind, PendingMessageChange
from models.postmortems.views import PostmortemView
from models.services import Services

TEAM, CHANNEL, FACILITATOR, BEA = "T0TEAM", "C0CHAN", "U0FACIL", "U0BEA"
ROOT = "1795168000.000100"  # before the test clock's now (2026-11-20 10:00 UTC)
TODAY = date(2026, 11, 20)
MESSAGE = "1795168010.000001"


def at(seconds: int) -> str:
    return f"{1795168000 + seconds}.000000"


def open_review_at_went_well(services: Services) -> PostmortemView:
    pm = services.postmortems.start(
        team_id=TEAM,
        channel_id=CHANNEL,
        title="Order",
        facilitator_id=FACILITATOR,
        thread_ref=ROOT,
        posted_at=time_of(ROOT),
    )
    for phase in (Phase.IMPACT, Phase.TIMELINE):
        services.postmortems.move(
            team_id=TEAM,
            postmortem_id=pm.id,
            from_phase=phase,
            move=Move.NEXT,
            by_user=FACILITATOR,
            clicked_at=time_of(at(5)),
        )
    return pm


def operations(services: Services, pm: PostmortemView) -> dict[str, Callable[[], object]]:
    postmortems = services.postmortems
    return {
        "reply": lambda: postmortems.record_reply(
            team_id=TEAM,
            channel_id=CHANNEL,
            thread_ref=ROOT,
            message_ref=MESSAGE,
            said_at=time_of(MESSAGE),
            author_id=BEA,
            said=Said("the runbook worked"),
            platform=Platform.SLACK,
            event_id="EvReply",
            today=TODAY,
        ),
        "next": lambda: postmortems.move(
            team_id=TEAM,
            postmortem_id=pm.id,
            from_phase=Phase.WENT_WELL,
            move=Move.NEXT,
            by_user=FACILITATOR,
            clicked_at=time_of(at(20)),
        ),
        "edit": lambda: postmortems.edit_reply(
            team_id=TEAM,
            channel_id=CHANNEL,
            message_ref=MESSAGE,
            said=Said("the rollback runbook worked"),
            platform=Platform.SLACK,
            event_id="EvEdit",
            today=TODAY,
            edited_at=time_of(at(30)),
            thread_ref=ROOT,
        ),
        "older edit": lambda: postmortems.edit_reply(
            team_id=TEAM,
            channel_id=CHANNEL,
            message_ref=MESSAGE,
            said=Said("the runbook mostly worked"),
            platform=Platform.SLACK,
            event_id="EvOlderEdit",
            today=TODAY,
            edited_at=time_of(at(25)),
            thread_ref=ROOT,
        ),
        "delete": lambda: postmortems.delete_reply(
            team_id=TEAM,
            channel_id=CHANNEL,
            message_ref=MESSAGE,
            platform=Platform.SLACK,
            event_id="EvDelete",
            thread_ref=ROOT,
            deleted_at=time_of(at(40)),
        ),
    }


def recorded(services: Services) -> tuple[list[tuple[Phase, str]], list[tuple[str, str]]]:
    with services.sessions() as session:
        answers = [(a.phase, a.text) for a in session.scalars(select(Answer))]
        lessons = [(lesson.kind.value, lesson.text) for lesson in session.scalars(select(Lesson))]
        return answers, lessons


@pytest.mark.parametrize(
    "order", list(itertools.permutations(["reply", "next", "edit", "older edit"]))
)
def test_a_reply_posted_before_next_keeps_its_step_and_its_newest_edit(
    services: Services, order: tuple[str, ...]
) -> None:
    """Posted at 10 s, Next clicked at 20 s, edited at 25 s and again at 30 s."""
    pm = open_review_at_went_well(services)
    steps = operations(services, pm)
    for name in order:
        steps[name]()

    assert recorded(services) == (
        [(Phase.WENT_WELL, "the rollback runbook worked")],
        [("keep", "the rollback runbook worked")],
    )
    assert services.postmortems.get(team_id=TEAM, postmortem_id=pm.id).phase is Phase.IMPROVE


@pytest.mark.parametrize("order", list(itertools.permutations(["reply", "next", "edit", "delete"])))
def test_a_deleted_reply_is_gone_whatever_order_its_events_come_in(
    services: Services, order: tuple[str, ...]
) -> None:
    pm = open_review_at_went_well(services)
    steps = operations(services, pm)
    for name in order:
        steps[name]()

    assert recorded(services) == ([], [])
    with services.sessions() as session:  # only the deletion is remembered
        kept = session.scalars(select(PendingMessageChange)).all()
        assert [change.kind for change in kept] == [MessageChangeKind.DELETE]


def test_a_reply_posted_after_next_belongs_to_the_new_step(services: Services) -> None:
    pm = open_review_at_went_well(services)
    steps = operations(services, pm)
    steps["next"]()
    services.postmortems.record_reply(
        team_id=TEAM,
        channel_id=CHANNEL,
        thread_ref=ROOT,
        message_ref=at(21),
        said_at=time_of(at(21)),
        author_id=BEA,
        said=Said("no canary for config"),
        platform=Platform.SLACK,
        event_id="EvAfter",
        today=TODAY,
    )
    assert recorded(services) == (
        [(Phase.IMPROVE, "no canary for config")],
        [("improve", "no canary for config")],
    )


def test_a_reply_posted_before_close_still_counts(services: Services) -> None:
    pm = open_review_at_went_well(services)
    services.postmortems.close(
        team_id=TEAM, postmortem_id=pm.id, by_user=FACILITATOR, clicked_at=time_of(at(50))
    )
    before = operations(services, pm)["reply"]()
    after = services.postmortems.record_reply(
        team_id=TEAM,
        channel_id=CHANNEL,
        thread_ref=ROOT,
        message_ref=at(60),
        said_at=time_of(at(60)),
        author_id=BEA,
        said=Said("too late"),
        platform=Platform.SLACK,
        event_id="EvLate",
        today=TODAY,
    )
    assert before is not None and after is None
    assert recorded(services)[0] == [(Phase.WENT_WELL, "the runbook worked")]


def test_an_edit_of_a_message_outside_any_review_is_not_kept(services: Services) -> None:
    services.postmortems.edit_reply(
        team_id=TEAM,
        channel_id=CHANNEL,
        message_ref=MESSAGE,
        said=Said("unrelated"),
        platform=Platform.SLACK,
        event_id="EvElsewhere",
        today=TODAY,
        edited_at=time_of(at(30)),
        thread_ref="1795160000.000001",
    )
    with services.sessions() as session:
        assert session.scalars(select(PendingMessageChange)).all() == []


def test_a_click_cannot_open_a_step_before_the_previous_one(services: Services) -> None:
    """A forged or skewed click time is kept between the last step's opening and now."""
    pm = open_review_at_went_well(services)
    services.postmortems.move(
        team_id=TEAM,
        postmortem_id=pm.id,
        from_phase=Phase.WENT_WELL,
        move=Move.NEXT,
        by_user=FACILITATOR,
        clicked_at=time_of("1.000000"),
    )
    reply = operations(services, pm)["reply"]()
    assert reply is not None and reply.answer.phase is Phase.WENT_WELL
