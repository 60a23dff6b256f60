"""Sample OKR views for template and rendering tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from handlers.slack.okr_blocks import OkrBlocks
from models.actions.tables import ActionStatus
from models.okrs.checkins import CheckInDm
from models.okrs.reviews import KeyResultReview, ObjectiveReview, OkrReview, Reading
from models.okrs.tables import Confidence, KeyResultKind, Measure
from models.okrs.views import (
    Flag,
    KeyResultView,
    ObjectiveView,
    ServingActionView,
    ServingLessonView,
    TreeNode,
)
from templates import Templates

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


def key_result(
    title: str,
    *,
    kind: KeyResultKind = KeyResultKind.NUMBER,
    start: float | None = 15,
    target: float = 5,
    current: float | None = 10,
    measure: Measure | None = None,
    flags: tuple[Flag, ...] = (),
) -> KeyResultView:
    return KeyResultView(
        id=7,
        objective_id=3,
        title=title,
        owner_id="U0BEA0002",
        kind=kind,
        unit="%" if kind is KeyResultKind.PERCENT else "deploys",
        start_value=start,
        target_value=target,
        current_value=current,
        confidence=Confidence.AT_RISK,
        measure=measure,
        checked_in_at=AT,
        flags=flags,
        actions=(ServingActionView(1, title, "U0CAI0003", ActionStatus.OPEN, date(2026, 12, 4)),),
        lessons=(ServingLessonView(2, title),),
    )


def objective(title: str, *, parent_id: int | None = None) -> ObjectiveView:
    return ObjectiveView(
        id=3,
        team_id="T0TEAM01",
        channel_id="C0OPS0001",
        title=title,
        owner_id="U0BEA0002",
        parent_id=parent_id,
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 12, 31),
        key_results=(
            key_result(title, kind=KeyResultKind.PERCENT),
            key_result(title, start=None, flags=(Flag.NO_BASELINE, Flag.STALE)),
            key_result(title, kind=KeyResultKind.MILESTONE, start=0, target=1, current=0),
            key_result(
                title,
                measure=Measure.OPEN_IMPROVE_LESSONS,
                start=4,
                target=0,
                current=3,
                flags=(Flag.IMPLAUSIBLE,),
            ),
        ),
    )


def okr_messages(templates: Templates, text: str) -> list[dict[str, object]]:
    """Every builder that renders templates/slack/okr.j2, with `text` as every title."""
    blocks = OkrBlocks(templates)
    one = objective(text)
    tree = [TreeNode(one, (TreeNode(objective(text, parent_id=3), ()),))]
    home = blocks.home_section([one], user_id="U0BEA0002")
    return [
        dict(blocks.help()),
        dict(blocks.listing(channel_id="C0OPS0001", objectives=[one])),
        dict(blocks.listing(channel_id="C0OPS0001", objectives=[])),
        dict(blocks.objective(one, parent=objective(text))),
        dict(blocks.created(one)),
        dict(blocks.tree(tree)),
        dict(blocks.tree([])),
        {"text": home.text, "blocks": [{"text": {"text": home.text}}, *home.blocks]},
        {"text": "", "blocks": blocks.check_in_modal(one.key_results[0])["blocks"]},
        *(dict(m) for m in blocks.review(review(text))),
        dict(blocks.check_in_dm(check_in_dm(text))),
        dict(blocks.check_in_dm(check_in_dm(text), intro="followup")),
    ]


def review(text: str) -> OkrReview:
    one = objective(text)
    readings = (
        Reading(AT, 12, Confidence.ON_TRACK),
        Reading(AT + timedelta(days=7), 10, Confidence.AT_RISK),
    )
    return OkrReview(
        id=1,
        team_id="T0TEAM01",
        channel_id="C0OPS0001",
        at=AT + timedelta(days=42),
        end_of_period=True,
        objectives=(
            ObjectiveReview(
                one,
                tuple(
                    KeyResultReview(kr, readings if i == 0 else (), AT - timedelta(days=30))
                    for i, kr in enumerate(one.key_results)
                ),
            ),
        ),
    )


def check_in_dm(text: str) -> CheckInDm:
    one = objective(text)
    return CheckInDm(
        request_id=1,
        team_id="T0TEAM01",
        owner_id="U0BEA0002",
        cycle_on=date(2026, 11, 16),
        key_results=one.key_results[:2],
        answered=frozenset({one.key_results[0].id}),
        dm_conversation="D0BEA0002",
        dm_ref="1700000000.000001",
    )
