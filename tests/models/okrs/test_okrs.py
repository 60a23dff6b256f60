"""Objectives and key results: creating, scoring, checking in, linking and privacy."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from handlers.slack.messages import time_of
from models.actions.tables import Action
from models.actions.updates import Change, Update
from models.actions.views import ActionView
from models.core.clock import FrozenClock
from models.core.errors import InvalidInput, NotAllowed, NotFound
from models.core.privacy import Viewer
from models.followup.views import Scope, ScopeKind
from models.lessons.tables import LessonKind
from models.okrs.service import KeyResultDraft, KeyResultEdit, quarter_of
from models.okrs.tables import Confidence, KeyResultKind, Measure
from models.okrs.views import Flag, ObjectiveView
from models.services import Services
from tests.statements import statements

TEAM = "T0TEAM"
OPS, SECRET, ORG = "C0OPS", "G0SECRET", "C0ORG"
BEA, CAI, DEV = "U0BEA", "U0CAI", "U0DEV"
Q4 = (date(2026, 10, 1), date(2026, 12, 31))


def viewer(user: str = BEA, *member_of: str) -> Viewer:
    return Viewer(TEAM, user, frozenset(member_of))


@pytest.fixture
def channels(services: Services) -> Services:
    for channel, private in ((OPS, False), (ORG, False), (SECRET, True)):
        services.lessons.remember_channel(
            team_id=TEAM, channel_id=channel, name=channel.lower(), is_private=private
        )
    return services


def create(
    services: Services, channel: str = OPS, *, by: Viewer | None = None, parent: int | None = None
) -> ObjectiveView:
    return services.okrs.create(
        viewer=by or viewer(BEA, SECRET),
        channel_id=channel,
        title="Make changes safe <!channel>",
        owner_id=BEA,
        starts_on=Q4[0],
        ends_on=Q4[1],
        parent_id=parent,
        key_results=[
            KeyResultDraft(
                "Change-failure rate", BEA, 5, KeyResultKind.PERCENT, start_value=15, unit="%"
            ),
            KeyResultDraft("Deploys a week", CAI, 20),
            KeyResultDraft("Canary for config changes", BEA, 1, KeyResultKind.MILESTONE),
        ],
    )


def test_quarter_of_a_day() -> None:
    assert quarter_of(date(2026, 11, 20)) == Q4
    assert quarter_of(date(2026, 1, 1)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert quarter_of(date(2026, 6, 30)) == (date(2026, 4, 1), date(2026, 6, 30))


def test_created_objective_keeps_three_kinds_and_flags_a_missing_baseline(
    channels: Services,
) -> None:
    objective = create(channels)

    rate, deploys, canary = objective.key_results
    assert objective.title == "Make changes safe <!channel>"
    assert (rate.kind, rate.start_value, rate.target_value, rate.progress) == (
        KeyResultKind.PERCENT,
        15,
        5,
        0.0,
    )
    assert deploys.flags == (Flag.NO_BASELINE,) and rate.flags == () and canary.flags == ()
    assert (canary.start_value, canary.target_value) == (0, 1)
    assert objective.score == 0.0


def test_check_in_moves_progress_either_way_and_scores_the_objective(
    channels: Services, clock: FrozenClock
) -> None:
    objective = create(channels)
    rate, deploys, canary = objective.key_results

    channels.okrs.check_in(
        viewer=viewer(BEA), key_result_id=rate.id, value=10, confidence=Confidence.AT_RISK
    )
    channels.okrs.check_in(
        viewer=viewer(CAI), key_result_id=deploys.id, value=5, confidence=Confidence.ON_TRACK
    )
    after = channels.okrs.check_in(
        viewer=viewer(BEA), key_result_id=canary.id, value=1, confidence=Confidence.ON_TRACK
    ).objective

    rate, deploys, canary = after.key_results
    assert (rate.progress, deploys.progress, canary.progress) == (0.5, 0.25, 1.0)
    assert rate.confidence is Confidence.AT_RISK and rate.checked_in_at == clock.now()
    assert after.score == pytest.approx((0.5 + 0.25 + 1.0) / 3)


def test_only_owners_check_in(channels: Services) -> None:
    deploys = create(channels).key_results[1]

    with pytest.raises(NotAllowed):
        channels.okrs.check_in(
            viewer=viewer(DEV), key_result_id=deploys.id, value=3, confidence=Confidence.ON_TRACK
        )


@pytest.mark.parametrize(
    ("index", "value"), [(0, 120.0), (0, -1.0), (2, 0.5), (1, float("nan")), (1, 1e13)]
)
def test_impossible_values_are_refused(channels: Services, index: int, value: float) -> None:
    kr = create(channels).key_results[index]

    with pytest.raises(InvalidInput):
        channels.okrs.check_in(
            viewer=viewer(BEA), key_result_id=kr.id, value=value, confidence=Confidence.ON_TRACK
        )


def test_a_key_result_without_check_ins_for_two_weeks_is_stale(
    channels: Services, clock: FrozenClock
) -> None:
    objective = create(channels)
    clock.advance(timedelta(days=14))
    channels.okrs.check_in(
        viewer=viewer(BEA),
        key_result_id=objective.key_results[0].id,
        value=12,
        confidence=Confidence.ON_TRACK,
    )

    now = channels.okrs.objective(viewer=viewer(BEA), objective_id=objective.id)
    rate, deploys, _ = now.key_results

    assert Flag.STALE not in rate.flags and Flag.STALE in deploys.flags


def test_private_channel_objectives_are_only_for_members(channels: Services) -> None:
    secret = create(channels, SECRET)
    public = create(channels, OPS, parent=None)
    child = create(channels, OPS, by=viewer(BEA, SECRET), parent=secret.id)
    outsider, member = viewer(CAI), viewer(CAI, SECRET)

    with pytest.raises(NotFound):
        channels.okrs.objective(viewer=outsider, objective_id=secret.id)
    with pytest.raises(NotFound):
        channels.okrs.of_channel(viewer=outsider, channel_id=SECRET, today=date(2026, 11, 20))
    with pytest.raises(NotFound):
        channels.okrs.key_result(viewer=outsider, key_result_id=secret.key_results[0].id)
    with pytest.raises(NotFound):
        channels.okrs.check_in(
            viewer=outsider,
            key_result_id=secret.key_results[1].id,
            value=1,
            confidence=Confidence.ON_TRACK,
        )
    with pytest.raises(NotFound):
        create(channels, OPS, by=outsider, parent=secret.id)
    roots = channels.okrs.tree(viewer=outsider, today=date(2026, 11, 20))
    assert [node.objective.id for node in roots] == [public.id, child.id]
    member_roots = channels.okrs.tree(viewer=member, today=date(2026, 11, 20))
    assert [node.objective.id for node in member_roots] == [secret.id, public.id]
    assert [c.objective.id for c in member_roots[0].children] == [child.id]
    home = channels.okrs.owned_by(viewer=viewer(CAI), today=date(2026, 11, 20))
    assert [o.id for o in home] == [public.id, child.id]


def test_actions_and_lessons_serve_a_key_result(channels: Services) -> None:
    objective = create(channels)
    action, lesson = _action_and_lesson(channels)
    rate = objective.key_results[0]

    channels.okrs.link_action(viewer=viewer(BEA), action_id=action, key_result_id=rate.id)
    after = channels.okrs.link_lesson(viewer=viewer(BEA), lesson_id=lesson, key_result_id=rate.id)

    served = after.key_results[0]
    assert [a.description for a in served.actions] == ["Add a canary stage"]
    assert [le.text for le in served.lessons] == ["config changes have no canary"]
    moved = channels.okrs.link_action(
        viewer=viewer(BEA), action_id=action, key_result_id=objective.key_results[1].id
    )
    assert moved.key_results[0].actions == () and len(moved.key_results[1].actions) == 1


def test_self_measured_key_result_changes_when_actions_close(
    channels: Services, clock: FrozenClock
) -> None:
    objective = channels.okrs.create(
        viewer=viewer(BEA),
        channel_id=OPS,
        title="Follow through",
        owner_id=BEA,
        starts_on=Q4[0],
        ends_on=Q4[1],
        key_results=[
            KeyResultDraft("Open improve lessons", BEA, 0, measure=Measure.OPEN_IMPROVE_LESSONS)
        ],
    )
    kr = objective.key_results[0]
    assert (kr.kind, kr.unit, kr.start_value) == (KeyResultKind.NUMBER, "lessons", 0)
    action, _ = _action_and_lesson(channels, lesson_for_action=True)

    opened = channels.okrs.check_in(
        viewer=viewer(BEA), key_result_id=kr.id, value=None, confidence=Confidence.AT_RISK
    )
    channels.updates.update(
        team_id=TEAM,
        action_id=action,
        by_user=BEA,
        update=Update(Change.DONE),
        scope=Scope(ScopeKind.OWNER, BEA),
        today=date(2026, 11, 20),
    )
    closed = channels.okrs.check_in(
        viewer=viewer(BEA), key_result_id=kr.id, value=99, confidence=Confidence.ON_TRACK
    )

    assert opened.objective.key_results[0].current_value == 1
    assert closed.objective.key_results[0].current_value == 0


def test_listing_a_channel_reads_a_fixed_number_of_statements(channels: Services) -> None:
    def count() -> int:
        with statements(channels.engine) as seen:
            channels.okrs.of_channel(viewer=viewer(BEA), channel_id=OPS, today=date(2026, 11, 20))
        return len(seen)

    first = create(channels)
    one = count()
    for _ in range(5):
        create(channels)
    action, lesson = _action_and_lesson(channels)
    kr = first.key_results[0].id
    channels.okrs.link_action(viewer=viewer(BEA), action_id=action, key_result_id=kr)
    channels.okrs.link_lesson(viewer=viewer(BEA), lesson_id=lesson, key_result_id=kr)

    assert count() == one


def _action_and_lesson(services: Services, *, lesson_for_action: bool = False) -> tuple[int, int]:
    pm = services.postmortems.start(
        team_id=TEAM,
        channel_id=OPS,
        thread_ref="1.000001",
        posted_at=time_of("1.000001"),
        title="Config outage",
        facilitator_id=BEA,
    )
    lesson = services.lessons.capture(
        team_id=TEAM,
        channel_id=OPS,
        author_id=BEA,
        text="config changes have no canary",
        kind=LessonKind.IMPROVE,
    )
    action = services.actions.add(
        team_id=TEAM,
        postmortem_id=pm.id,
        description="Add a canary stage",
        owner_id=BEA,
        target_on=None,
        lesson_id=lesson.lesson.id if lesson_for_action else None,
        created_by=BEA,
        today=date(2026, 11, 20),
    )
    return action.id, lesson.lesson.id


def test_a_measured_target_the_channels_history_makes_unlikely_is_flagged(
    channels: Services,
) -> None:
    def held(target: float) -> tuple[Flag, ...]:
        return (
            channels.okrs.create(
                viewer=viewer(BEA),
                channel_id=OPS,
                title="Review every incident",
                owner_id=BEA,
                starts_on=Q4[0],
                ends_on=Q4[1],
                key_results=[
                    KeyResultDraft(
                        "Post-mortems held", BEA, target, measure=Measure.POSTMORTEMS_HELD
                    )
                ],
            )
            .key_results[0]
            .flags
        )

    assert held(30) == (Flag.IMPLAUSIBLE,)  # none held in any of the last four quarters
    assert held(2) == ()


def test_the_board_summary_has_a_short_okr_section(channels: Services) -> None:
    objective = create(channels)
    channels.okrs.check_in(
        viewer=viewer(BEA),
        key_result_id=objective.key_results[0].id,
        value=10,
        confidence=Confidence.AT_RISK,
    )

    board = channels.reports.board(team_id=TEAM, channel_id=OPS, today=date(2026, 11, 20))

    (line,) = board.okrs
    assert (line.id, line.title, line.key_results, line.on_track) == (
        objective.id,
        "Make changes safe <!channel>",
        3,
        2,
    )
    assert line.score == pytest.approx(0.5 / 3)


def test_a_link_naming_something_out_of_reach_links_nothing(channels: Services) -> None:
    objective = create(channels)
    action, _ = _action_and_lesson(channels)
    secret = channels.lessons.capture(
        team_id=TEAM, channel_id=SECRET, author_id=BEA, text="vault", kind=LessonKind.IMPROVE
    )
    kr = objective.key_results[0].id

    with pytest.raises(InvalidInput):
        channels.okrs.link(
            viewer=viewer(CAI), key_result_id=kr, action_id=action, lesson_id=secret.lesson.id
        )

    after = channels.okrs.objective(viewer=viewer(CAI), objective_id=objective.id)
    assert after.key_results[0].actions == () and after.key_results[0].lessons == ()


def _add_action(services: Services, pm_id: int, **link: object) -> ActionView:
    return services.actions.add(
        team_id=TEAM,
        postmortem_id=pm_id,
        description="Add a canary stage",
        owner_id=BEA,
        target_on=None,
        lesson_id=None,
        created_by=BEA,
        today=date(2026, 11, 20),
        **link,  # type: ignore[arg-type]
    )


def _actions_stored(services: Services) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(Action)) or 0


def test_an_action_added_with_a_key_result_serves_it_from_the_same_transaction(
    channels: Services,
) -> None:
    objective = create(channels)
    secret = create(channels, SECRET)
    pm = channels.postmortems.start(
        team_id=TEAM,
        channel_id=OPS,
        thread_ref="1.000001",
        posted_at=time_of("1.000001"),
        title="Config outage",
        facilitator_id=BEA,
    )
    rate = objective.key_results[0].id

    action = _add_action(channels, pm.id, serves_key_result=rate, viewer=viewer(CAI))

    served = channels.okrs.objective(viewer=viewer(CAI), objective_id=objective.id)
    assert [a.id for a in served.key_results[0].actions] == [action.id]
    # A key result the verified user cannot read (a private channel they are not in), one
    # that does not exist, or a viewer of another workspace: refused, and no action added.
    refused = [
        {"serves_key_result": secret.key_results[0].id, "viewer": viewer(CAI)},
        {"serves_key_result": 10_000, "viewer": viewer(CAI)},
        {"serves_key_result": rate, "viewer": Viewer("T0OTHER", CAI, frozenset())},
        {"serves_key_result": rate},
    ]
    for link in refused:
        with pytest.raises(InvalidInput) as error:
            _add_action(channels, pm.id, **link)
        assert error.value.field == "key_result_id"
    assert _actions_stored(channels) == 1
    # A member of the private channel may.
    _add_action(
        channels, pm.id, serves_key_result=secret.key_results[0].id, viewer=viewer(BEA, SECRET)
    )
    after = channels.okrs.objective(viewer=viewer(BEA, SECRET), objective_id=secret.id)
    assert len(after.key_results[0].actions) == 1


def _edits(objective: ObjectiveView) -> list[KeyResultEdit]:
    return [
        KeyResultEdit(kr.id, kr.title, kr.owner_id, kr.target_value, kr.confidence)
        for kr in objective.key_results
    ]


def test_an_edit_checks_the_owner_the_key_results_and_the_parent(channels: Services) -> None:
    objective = create(channels)  # Bea owns it
    other = create(channels, ORG)
    child = create(channels, parent=objective.id)
    same = {"title": objective.title, "owner_id": BEA, "parent_id": None}

    with pytest.raises(NotAllowed):
        channels.okrs.edit(viewer=viewer(CAI), objective_id=objective.id, key_results=[], **same)
    with pytest.raises(InvalidInput) as wrong_kr:  # another objective's key result
        channels.okrs.edit(
            viewer=viewer(BEA),
            objective_id=objective.id,
            key_results=_edits(other)[:1],
            **same,
        )
    assert wrong_kr.value.field == "kr1.title"
    with pytest.raises(InvalidInput) as cycle:  # it cannot serve what serves it
        channels.okrs.edit(
            viewer=viewer(BEA),
            objective_id=objective.id,
            key_results=[],
            **{**same, "parent_id": child.id},
        )
    assert cycle.value.field == "parent"
    with pytest.raises(NotFound):  # a parent in a private channel Bea is not in
        secret = create(channels, SECRET, by=viewer(BEA, SECRET))
        channels.okrs.edit(
            viewer=viewer(BEA),
            objective_id=objective.id,
            key_results=[],
            **{**same, "parent_id": secret.id},
        )
    # Nothing changed: nothing recorded; then one change, one record.
    channels.okrs.edit(
        viewer=viewer(BEA), objective_id=objective.id, key_results=_edits(objective), **same
    )
    assert channels.okrs.changes(viewer=viewer(CAI), objective_id=objective.id) == []
    edited = channels.okrs.edit(
        viewer=viewer(BEA),
        objective_id=objective.id,
        key_results=[],
        **{**same, "owner_id": CAI, "parent_id": other.id},
    )
    assert (edited.owner_id, edited.parent_id) == (CAI, other.id)
    changes = channels.okrs.changes(viewer=viewer(CAI), objective_id=objective.id)
    assert [(kr, field) for kr, field, _ in changes] == [(None, "owner"), (None, "parent")]
    with pytest.raises(NotAllowed):  # Bea handed it over: no longer hers to edit
        channels.okrs.edit_form(viewer=viewer(BEA), objective_id=objective.id)


def test_linking_an_action_later_offers_its_channels_key_results_to_readers_only(
    channels: Services,
) -> None:
    objective = create(channels)
    create(channels, ORG)  # another channel's key results are not offered
    action, _ = _action_and_lesson(channels)
    channels.okrs.link_action(
        viewer=viewer(BEA), action_id=action, key_result_id=objective.key_results[1].id
    )

    description, serves, choices = channels.okrs.serve_choices(
        viewer=viewer(CAI), action_id=action, today=Q4[0]
    )
    assert description == "Add a canary stage" and serves == objective.key_results[1].id
    assert [kr.id for _, kr in choices] == [kr.id for kr in objective.key_results]
    with pytest.raises(NotFound):
        channels.okrs.serve_choices(viewer=viewer(CAI), action_id=10_000, today=Q4[0])
    with pytest.raises(NotFound):
        channels.okrs.serve_choices(
            viewer=Viewer("T0OTHER", CAI, frozenset()), action_id=action, today=Q4[0]
        )
