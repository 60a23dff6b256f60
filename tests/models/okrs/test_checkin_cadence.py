"""Check-ins follow each team's cadence: the channel's review schedule, or the workspace's
default cadence in the workspace's zone; a key result set mid-cycle waits for the next."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from models.core.clock import FrozenClock
from models.core.privacy import Viewer
from models.core.workspaces import ReviewDefaults
from models.followup.cadence import parse_cadence
from models.okrs.service import KeyResultDraft
from models.okrs.tables import CheckInRequest
from models.services import Services
from tests.references import as_slack

TEAM = "T0TEAM"
OPS, ORG = "C0OPS", "C0ORG"
BEA, CAI = "U0BEA", "U0CAI"
Q4 = (date(2026, 10, 1), date(2026, 12, 31))


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def objective(services: Services, channel: str, owner: str) -> None:
    services.lessons.remember_channel(
        team_id=TEAM, channel_id=channel, name=channel.lower(), is_private=False
    )
    services.okrs.create(
        viewer=Viewer(TEAM, owner, frozenset()),
        channel_id=channel,
        title=f"Objective of {channel}",
        owner_id=owner,
        starts_on=Q4[0],
        ends_on=Q4[1],
        key_results=[KeyResultDraft(f"Key result of {owner}", owner, 10, start_value=0)],
    )


def requested(services: Services) -> list[tuple[str, date]]:
    with services.sessions() as session:
        rows = session.execute(
            select(CheckInRequest.owner_id, CheckInRequest.cycle_on).order_by(CheckInRequest.id)
        ).all()
    return [(as_slack(services, owner), cycle) for owner, cycle in rows]


def test_each_channel_is_asked_on_its_review_cadence_or_the_workspace_default(
    services: Services, clock: FrozenClock
) -> None:
    clock.set(utc(2, 0))
    services.workspaces.change(team_id=TEAM, by_user=CAI, timezone="America/New_York")
    london_thursdays = parse_cadence(
        "weekly thursday 15:00 Europe/London", default_timezone="UTC", today=date(2026, 11, 2)
    )
    services.meetings.set_schedule(
        team_id=TEAM, channel_id=OPS, cadence=london_thursdays, by_user=BEA
    )
    objective(services, OPS, BEA)  # reviews on Thursdays, 15:00 in London (GMT)
    objective(services, ORG, CAI)  # no schedule: Mondays 10:00 in New York (15:00 UTC)

    clock.set(utc(18, 12))  # a Wednesday: each team's current cycle
    assert services.okr_checkins.plan().requests == 2
    assert requested(services) == [(BEA, date(2026, 11, 12)), (CAI, date(2026, 11, 16))]

    plans = []
    for moment in (utc(19, 14, 59), utc(19, 15), utc(23, 0), utc(23, 14, 59), utc(23, 15)):
        clock.set(moment)
        plans.append(services.okr_checkins.plan().requests)
    # Not Monday 00:00 UTC: Ops on Thursday 15:00 London, Org on Monday 10:00 New York.
    assert plans == [0, 1, 0, 0, 1]
    assert requested(services)[2:] == [(BEA, date(2026, 11, 19)), (CAI, date(2026, 11, 23))]


def test_the_workspace_default_cadence_and_time_are_used_without_a_schedule(
    services: Services, clock: FrozenClock
) -> None:
    clock.set(utc(2, 0))
    services.workspaces.change(
        team_id=TEAM,
        by_user=CAI,
        review=ReviewDefaults(cadence="weekly", weekday=2, local_time="08:30"),
    )
    objective(services, ORG, CAI)
    clock.set(utc(18, 8, 29))  # Wednesday, a minute before the workspace's default time
    services.okr_checkins.plan()
    clock.set(utc(18, 8, 30))
    assert services.okr_checkins.plan().requests == 1
    assert requested(services) == [(CAI, date(2026, 11, 11)), (CAI, date(2026, 11, 18))]


def test_a_key_result_set_mid_cycle_waits_for_the_next_cycle(
    services: Services, clock: FrozenClock
) -> None:
    clock.set(utc(18, 12))  # Wednesday; the default cycle began Monday 10:00 UTC
    objective(services, ORG, CAI)
    assert services.okr_checkins.plan().requests == 0
    clock.set(utc(23, 9, 59))
    assert services.okr_checkins.plan().requests == 0
    clock.set(utc(23, 10))
    assert services.okr_checkins.plan().requests == 1
    assert requested(services) == [(CAI, date(2026, 11, 23))]
