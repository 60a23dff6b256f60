"""The programme-board summary is owed before it is posted: each part (the messages, then
the files) is retried on its own, and a summary the app cannot post is not counted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models.core.tables import Delivery, DeliveryStatus
from models.reports.service import BOARD_DELIVERY
from models.reports.tables import BoardSummaryPost
from tests.e2e.review import CAI, CHANNEL
from tests.e2e.test_reports import BOARD, run_short_review
from tests.harness import AppHarness


def board_posts(app: AppHarness) -> list[dict[str, object]]:
    return [p for p in app.fake.calls_to("chat.postMessage") if p["channel"] == BOARD and "ts" in p]


def board_delivery(app: AppHarness) -> Delivery:
    with app.services.sessions() as session:
        return session.scalars(select(Delivery).where(Delivery.kind == BOARD_DELIVERY)).one()


def board_error(app: AppHarness) -> str | None:
    with app.services.sessions() as session:
        return session.scalar(select(Delivery.last_error).where(Delivery.kind == BOARD_DELIVERY))


def summaries_recorded(app: AppHarness) -> int:
    with app.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(BoardSummaryPost)) or 0


def test_board_files_failing_are_retried_without_posting_the_message_again(
    app: AppHarness,
) -> None:
    run_short_review(app, "Release 4.2 retro")
    app.fake.wait_for(lambda: len(app.fake.shared_files(CHANNEL)) == 2, what="review documents")
    app.fake.fail_next("files.getUploadURLExternal", error="internal_error")

    app.driver.command(f"summary <#{CHANNEL}|incidents>", user=CAI, channel=BOARD)

    app.fake.wait_for(lambda: board_error(app) == "internal_error", what="the refused upload")
    assert len(board_posts(app)) == 1
    assert app.fake.shared_files(BOARD) == []
    assert board_delivery(app).payload["parts_sent"] == 1
    assert summaries_recorded(app) == 1  # stored before anything was posted

    app.clock.advance(timedelta(minutes=30))  # past the back-off
    assert app.lessonloop is not None
    app.lessonloop.courier.deliver_due()

    assert len(app.fake.shared_files(BOARD)) == 3
    assert len(board_posts(app)) == 1
    assert board_delivery(app).status is DeliveryStatus.SENT


def test_summary_where_the_app_is_not_is_explained_and_not_counted(app: AppHarness) -> None:
    run_short_review(app, "Release 4.2 retro")
    app.fake.wait_for(
        lambda: (
            len(app.fake.shared_files(CHANNEL)) == 2
            and app.services.deliveries.pending_count() == 0
        ),
        what="the close's deliveries",
    )
    app.fake.fail_next("chat.postMessage", error="not_in_channel")

    app.driver.command(f"summary <#{CHANNEL}|incidents>", user=CAI, channel=BOARD)

    reply = app.fake.wait_for(lambda: app.fake.calls_to("response_url"), what="private reply")
    assert "I'm not in this channel" in reply[0]["text"]
    assert summaries_recorded(app) == 0
    assert board_delivery(app).status is DeliveryStatus.FAILED
