"""A board summary is recorded and owed in one transaction; its sender reads the summary
for the period it covered when it was recorded, whenever it is sent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models.actions.tables import ActionStatus
from models.core.clock import FrozenClock
from models.core.tables import Delivery
from models.core.views import DeliveryView
from models.reports.service import BOARD_DELIVERY
from models.reports.tables import BoardSummaryPost
from models.services import Services
from tests.models.reports.test_reports import (
    CHANNEL,
    DAN,
    NOW,
    TEAM,
    TODAY,
    add_action,
    add_postmortem,
)
from tests.references import as_slack


def owed_board(services: Services) -> DeliveryView:
    with services.sessions() as session:
        row = session.scalars(select(Delivery).where(Delivery.kind == BOARD_DELIVERY)).one()
        return as_slack(services, DeliveryView.of(row))


def post(services: Services) -> int:
    return services.reports.post_board(
        team_id=TEAM,
        channel_id=CHANNEL,
        channel_name="#board",
        posted_in="C0PROG",
        posted_by=DAN,
        today=TODAY,
    ).post_id


def test_owed_summary_is_read_for_its_own_period_not_counted_from_itself(
    services: Services, clock: FrozenClock
) -> None:
    pm = add_postmortem(services, created=NOW - timedelta(days=30))
    add_action(
        services,
        pm,
        created=NOW - timedelta(days=30),
        status=ActionStatus.DONE,
        closed=NOW - timedelta(days=20),
        description="finished",
    )

    posted = services.reports.post_board(
        team_id=TEAM,
        channel_id=CHANNEL,
        channel_name="#board",
        posted_in="C0PROG",
        posted_by=DAN,
        today=TODAY,
    )
    clock.advance(timedelta(hours=1))  # sent later, after a retry
    delivery = owed_board(services)
    sent = services.reports.posted_board(delivery=delivery)

    assert delivery.subject_id == posted.post_id and delivery.recipient_id == "C0PROG"
    assert sent is not None
    assert sent.board.period == posted.board.period == "all time"
    assert [a.description for a in sent.board.completed] == ["finished"]
    assert (sent.posted_in, sent.channel_name) == ("C0PROG", "#board")
    # The next summary counts from this one.
    later = services.reports.board(team_id=TEAM, channel_id=CHANNEL, today=TODAY)
    assert later.last_summary_at == NOW and later.completed == ()


def test_withdrawn_summary_is_not_sent_and_not_counted(services: Services) -> None:
    post_id = post(services)

    services.reports.withdraw_board(team_id=TEAM, post_id=post_id)

    assert services.reports.posted_board(delivery=owed_board(services)) is None
    with services.sessions() as session:
        assert session.scalars(select(BoardSummaryPost)).all() == []
    assert services.reports.board(team_id=TEAM, channel_id=CHANNEL, today=TODAY).period == (
        "all time"
    )
