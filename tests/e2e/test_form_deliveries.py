"""What a form owes people who keep it (the thread's note of a new action, the "seen
before" note of a saved lesson) is stored with the change and sent from the outbox: a
refused post is retried later, and sent once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models.actions.service import ACTION_ANNOUNCED_DELIVERY
from models.core.tables import Delivery, DeliveryStatus
from tests.e2e.review import BEA, CAI, Review
from tests.harness import AppHarness


def announced(app: AppHarness, review: Review) -> list[dict[str, object]]:
    return [
        p
        for p in app.fake.posts_in_thread(review.channel, review.thread_ts)
        if "ts" in p and "Action recorded: *Write the runbook*" in str(p["text"])
    ]


def delivery_status(app: AppHarness, kind: str) -> tuple[DeliveryStatus, str | None] | None:
    with app.services.sessions() as session:
        row = session.execute(
            select(Delivery.status, Delivery.last_error).where(Delivery.kind == kind)
        ).one_or_none()
    return None if row is None else (row[0], row[1])


def test_action_added_in_the_form_is_announced_from_the_outbox(app: AppHarness) -> None:
    review = Review(app)
    review.start("Checkout outage")
    for step in range(1, 5):
        review.next_step(step)
    app.fake.fail_next("chat.postMessage", error="internal_error")

    review.add_action_with_modal(
        "Write the runbook", owner=BEA, date="2026-12-18", by=CAI, lesson=False
    )

    app.fake.wait_for(
        lambda: (
            delivery_status(app, ACTION_ANNOUNCED_DELIVERY)
            == (DeliveryStatus.PENDING, "internal_error")
        ),
        what="the refused announcement, kept",
    )
    assert announced(app, review) == []

    app.clock.advance(timedelta(minutes=30))  # past the back-off
    assert app.lessonloop is not None
    app.lessonloop.courier.deliver_due()

    assert len(announced(app, review)) == 1
    assert delivery_status(app, ACTION_ANNOUNCED_DELIVERY) == (
        DeliveryStatus.SENT,
        "internal_error",
    )
