"""Each part of what closing a review owes succeeds or is retried on its own: a failing
root update does not post the summary twice, and a summary cut short goes on from the
part Slack last accepted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.slack.ids import ActionId
from models.actions.tables import Action
from models.core.tables import Delivery
from models.postmortems.service import ACTION_ADDED_DELIVERY, SUMMARY_DELIVERY
from models.postmortems.tables import Answer
from tests.e2e.review import BEA, CAI, CHANNEL, Review
from tests.e2e.test_reports import run_short_review
from tests.harness import AppHarness


def summaries(app: AppHarness, thread_ts: str) -> list[str]:
    return [
        p["text"]
        for p in app.fake.posts_in_thread(CHANNEL, thread_ts)
        if p["text"].startswith(":memo: *Summary")
    ]


def root_closed_updates(app: AppHarness, thread_ts: str) -> list[dict[str, object]]:
    return [u for u in app.fake.calls_to("chat.update") if u["ts"] == thread_ts]


def retry_later(app: AppHarness) -> None:
    app.clock.advance(timedelta(minutes=30))  # past the back-off and any lease
    assert app.lessonloop is not None
    app.lessonloop.courier.deliver_due()


def test_a_root_update_failing_three_times_never_repeats_the_summary(app: AppHarness) -> None:
    review = run_short_review(app, "Checkout outage", close=False)
    # The closed-prompt notice takes the first failure; the root update the next three.
    app.fake.fail_next("chat.update", times=4, error="internal_error")
    review.press("Step 6 of 6", ActionId.CLOSE)
    app.fake.wait_for(lambda: summaries(app, review.thread_ts), what="the summary")
    # The close's own sender has finished once the owner's note is out.
    app.fake.wait_for(
        lambda: [p for p in app.fake.calls_to("chat.postMessage") if p["channel"] == "D0BEA0002"],
        what="the owner's note",
    )

    for _ in range(3):
        retry_later(app)
    app.fake.wait_for(
        lambda: any(
            "(closed)" in str(u["text"]) for u in root_closed_updates(app, review.thread_ts)
        ),
        what="the root marked closed",
    )
    assert len(summaries(app, review.thread_ts)) == 1
    assert len(app.fake.shared_files(CHANNEL, review.thread_ts)) == 2  # md and html, once


def test_a_summary_cut_short_goes_on_from_the_last_part_sent(app: AppHarness) -> None:
    review = Review(app)
    review.start("Very long review")
    for i in range(30):
        review.reply(f"{i} " + "word " * 2000 + f"end-{i}", user=BEA)
    for step in range(1, 6):
        review.next_step(step)

    def in_thread() -> list[str]:
        return [
            "".join(block["text"]["text"] for block in p["blocks"] if "text" in block)
            for p in app.fake.posts_in_thread(CHANNEL, review.thread_ts)
            if "ts" in p  # Slack accepted it (a refused call is recorded without one)
        ]

    before = len(in_thread())
    # Two parts of the summary get through; the third is refused, and so is the client's
    # own retry of it: the delivery is due again later, two parts in.
    app.fake.fail_next("chat.postMessage", after=2, times=3, status=500, error="fatal_error")
    review.press("Step 6 of 6", ActionId.CLOSE)

    def failed_once() -> bool:
        with app.services.sessions() as session:
            summary = session.scalars(
                select(Delivery).where(Delivery.kind == SUMMARY_DELIVERY)
            ).one_or_none()
            return (
                summary is not None
                and summary.last_error is not None
                and summary.claimed_until is None
            )

    app.fake.wait_for(failed_once, what="the failure recorded")
    sent_first = in_thread()[before:]
    assert len(sent_first) == 2

    retry_later(app)
    app.fake.wait_for(
        lambda: any("end-29" in text for text in in_thread()), what="the rest of the summary"
    )
    posted = in_thread()[before:]
    assert posted[:2] == sent_first
    assert len(posted) == len(set(posted)), "no part of the summary was posted twice"


def test_a_failed_action_confirmation_is_sent_later_and_the_reply_kept_once(
    app: AppHarness,
) -> None:
    review = Review(app)
    review.start("Queue backlog")
    app.fake.fail_next("chat.postMessage", error="internal_error")  # the confirmation's post
    review.reply(f"action: add queue depth alert <@{BEA}> by 2026-12-01", user=CAI)

    def confirmations() -> list[dict[str, object]]:
        return [
            p
            for p in app.fake.posts_in_thread(CHANNEL, review.thread_ts)
            if "Action recorded" in str(p["text"]) and "ts" in p  # Slack accepted it
        ]

    def failed_once() -> bool:
        with app.services.sessions() as session:
            delivery = session.scalars(
                select(Delivery).where(Delivery.kind == ACTION_ADDED_DELIVERY)
            ).one_or_none()
            return delivery is not None and delivery.last_error == "internal_error"

    app.fake.wait_for(failed_once, what="the failure recorded")
    assert confirmations() == []
    retry_later(app)
    app.fake.wait_for(confirmations, what="the confirmation, sent again")
    assert len(confirmations()) == 1
    assert review.count(Answer) == 1 and review.count(Action) == 1
