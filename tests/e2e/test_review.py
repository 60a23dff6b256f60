"""A whole review over signed HTTP, from `/postmortem start` to the owners' DMs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.slack.ids import ActionId
from models.actions.tables import Action
from models.lessons.tables import Lesson, LessonKind
from models.postmortems.phases import ORDER
from models.postmortems.tables import Answer, PostmortemStatus
from tests.e2e.review import BEA, CAI, FACILITATOR, Review, counts
from tests.harness import AppHarness

PEOPLE = (FACILITATOR, BEA, CAI)


@pytest.mark.parametrize(
    ("restart_halfway", "deliver_twice"),
    [(False, False), (True, False), (False, True), (True, True)],
    ids=["plain", "restart-halfway", "every-event-twice", "restart-and-twice"],
)
def test_whole_review_ends_with_summary_dms_and_every_record(
    app: AppHarness, restart_halfway: bool, deliver_twice: bool
) -> None:
    review = Review(app, deliver_twice=deliver_twice)
    review.start("Checkout outage on 19 Nov")

    for person in PEOPLE:
        review.reply(f"Impact seen by {person}: checkout failed for 14% of users", user=person)
    review.next_step(1)
    for i, person in enumerate(PEOPLE):
        review.reply(f"10:4{i} {person} saw the error rate climb", user=person)
    review.next_step(2)
    for person in PEOPLE:
        review.reply(f"Keep: the rollback runbook worked ({person})", user=person)

    if restart_halfway:
        app.restart()

    review.next_step(3)
    for person in PEOPLE:
        review.reply(f"Improve: no canary stage for config changes ({person})", user=person)
    review.next_step(4)
    review.reply(f"action: add a canary stage for config <@{BEA}> by 2026-12-04", user=FACILITATOR)
    review.reply(f"action: alert on checkout error rate <@{CAI}> by 11 dec", user=BEA)
    review.add_action_with_modal(
        "Write the config-change runbook", owner=FACILITATOR, date="2026-12-18", by=CAI
    )
    review.fake.wait_for(lambda: review.count(Action) == 3, what="three actions")
    review.next_step(5)
    for person in PEOPLE:
        review.reply(f"Thanks all, from {person}", user=person)
    review.press("Step 6 of 6", ActionId.CLOSE)

    summary = review.fake.wait_for(
        lambda: [
            p
            for p in review.fake.posts_in_thread(review.channel, review.thread_ts)
            if p["text"].startswith(":memo: *Summary")
        ],
        what="summary",
    )
    assert len(summary) == 1
    summary_text = "\n".join(b["text"]["text"] for b in summary[0]["blocks"])
    for expected in (
        "10:40",
        "rollback runbook",
        "no canary stage",
        "Write the config-change runbook",
        f"<@{BEA}>",
    ):
        assert expected in summary_text

    review.fake.wait_for(lambda: len(direct_messages(app)) >= 3, what="three owner DMs")
    dms = direct_messages(app)
    assert len(dms) == 3
    dm_text = {p["channel"]: p["text"] for p in dms}
    assert "add a canary stage for config" in dm_text["D0BEA0002"]
    assert "alert on checkout error rate" in dm_text["D0CAI0003"]
    assert "Write the config-change runbook" in dm_text["D0FACIL01"]

    root_updates = [u for u in review.fake.calls_to("chat.update") if u["ts"] == review.thread_ts]
    assert root_updates and "(closed)" in root_updates[-1]["text"]
    assert review.postmortem().status is PostmortemStatus.CLOSED
    assert counts(review) == {"answers": 3 * 5 + 2, "lessons": 6, "actions": 3}
    with app.services.sessions() as session:
        phases = session.scalars(select(Answer.phase).order_by(Answer.id)).all()
        kinds = session.scalars(select(Lesson.kind).order_by(Lesson.id)).all()
        actions = session.scalars(select(Action).order_by(Action.id)).all()
    assert set(phases) == set(ORDER)
    assert kinds == [LessonKind.KEEP] * 3 + [LessonKind.IMPROVE] * 3
    assert [(a.owner_id, str(a.target_on)) for a in actions] == [
        (BEA, "2026-12-04"),
        (CAI, "2026-12-11"),
        (FACILITATOR, "2026-12-18"),
    ]
    assert actions[2].lesson_id is not None


def direct_messages(app: AppHarness) -> list[dict[str, str]]:
    return [p for p in app.fake.calls_to("chat.postMessage") if p["channel"].startswith("D")]
