"""Review cadence and what each review owes people, on a frozen clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from handlers.slack.errors import wording
from handlers.slack.messages import time_of
from models.actions.tables import Action, ActionEvent, ActionStatus
from models.actions.updates import Change, Update
from models.core.clock import FrozenClock
from models.core.errors import InvalidInput, NotAllowed
from models.core.people import nudge_time
from models.core.tables import Delivery, DeliveryStatus
from models.followup.cadence import parse_cadence
from models.followup.meetings import (
    AGENDA_DELIVERY,
    FOLLOWUP_DELIVERY,
    OVERDUE_DELIVERY,
    REMIND_DELIVERY,
)
from models.followup.tables import ReviewMeeting
from models.followup.views import Scope, ScopeKind
from models.services import Services
from tests.references import as_slack, as_stored
from tests.statements import statements

TEAM, CHANNEL, OTHER_CHANNEL = "T0TEAM", "C0OPS", "C0OTHER"
FACILITATOR, BEA, CAI, DAN = "U0FACIL", "U0BEA", "U0CAI", "U0DAN"
TODAY = date(2026, 11, 20)  # the frozen clock's Friday
# "monthly first tuesday 10:00 Europe/London": Tue 1 Dec 2026, 10:00 GMT = 10:00 UTC.
REVIEW_AT = datetime(2026, 12, 1, 10, tzinfo=UTC)


def schedule(services: Services, text: str = "monthly first tuesday 10:00 Europe/London") -> Any:
    cadence = parse_cadence(text, default_timezone="UTC", today=TODAY)
    return services.meetings.set_schedule(
        team_id=TEAM, channel_id=CHANNEL, cadence=cadence, by_user=FACILITATOR
    )


def add_actions(services: Services, owners: list[str], *, channel: str = CHANNEL) -> list[int]:
    pm = services.postmortems.start(
        team_id=TEAM,
        channel_id=channel,
        thread_ref=f"1700000000.{len(owners):06d}{channel}",
        posted_at=time_of(f"1700000000.{len(owners):06d}{channel}"),
        title="Release 4.2 retro",
        facilitator_id=FACILITATOR,
    )
    return [
        services.actions.add(
            team_id=TEAM,
            postmortem_id=pm.id,
            description=f"action {i} for {owner}",
            owner_id=owner,
            target_on=TODAY + timedelta(days=3 + i),
            lesson_id=None,
            created_by=FACILITATOR,
            today=TODAY,
        ).id
        for i, owner in enumerate(owners)
    ]


def owed(services: Services, kind: str) -> list[str]:
    with services.sessions() as session:
        recipients = session.scalars(
            select(Delivery.recipient_id).where(Delivery.kind == kind).order_by(Delivery.id)
        )
        return as_slack(services, list(recipients))


def test_monthly_schedule_shows_next_three_reviews(services: Services) -> None:
    view = schedule(services)

    assert view.next_reviews == (
        REVIEW_AT,
        datetime(2027, 1, 5, 10, tzinfo=UTC),
        datetime(2027, 2, 2, 10, tzinfo=UTC),
    )
    assert view.cadence.describe() == "the 1st Tuesday of every month at 10:00 (Europe/London)"
    assert services.meetings.schedule(team_id=TEAM, channel_id=CHANNEL) == view


def test_summer_time_keeps_the_local_hour() -> None:
    cadence = parse_cadence(
        "monthly on the 15th 09:30 Europe/London", default_timezone="UTC", today=TODAY
    )
    summer = cadence.next_at(datetime(2027, 6, 1, tzinfo=UTC))
    assert summer == datetime(2027, 6, 15, 8, 30, tzinfo=UTC)


def test_weekly_reviews_remind_six_days_ahead_unless_told() -> None:
    weekly = parse_cadence("weekly friday", default_timezone="UTC", today=TODAY)
    biweekly = parse_cadence(
        "biweekly friday lead 10 followup 2", default_timezone="UTC", today=TODAY
    )
    assert (weekly.lead_days, weekly.followup_days) == (6, 1)
    assert (biweekly.lead_days, biweekly.followup_days) == (10, 2)


def test_every_two_weeks_skips_the_off_week() -> None:
    cadence = parse_cadence("every 2 weeks tuesday 10:00", default_timezone="UTC", today=TODAY)
    first = cadence.next_at(datetime(2026, 11, 20, tzinfo=UTC))
    assert (first, cadence.next_at(first)) == (
        datetime(2026, 12, 1, 10, tzinfo=UTC),
        datetime(2026, 12, 15, 10, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("daily", "I don't know the cadence “daily”"),
        ("monthly on the 31st", "from 1 to 28"),
        ("weekly", "Say which weekday"),
        ("weekly monday 10:00 Mars/Olympus", "not a time zone"),
        ("monthly first tuesday lead 2 followup 2", "less than the lead of 2"),
        ("weekly friday lead 7", "1 to 6 days for this cadence"),
    ],
)
def test_bad_cadence_says_what_is_wrong_with_an_example(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_cadence(text, default_timezone="UTC", today=TODAY)
    assert problem in error.value.params["problem"]
    # The platform words the examples for its own command.
    assert "/postmortem review set monthly first tuesday" in wording(error.value)


def test_each_owner_is_owed_one_reminder_at_seven_days_before(
    services: Services, clock: FrozenClock
) -> None:
    schedule(services)
    add_actions(services, [BEA, BEA, CAI])
    add_actions(services, [DAN], channel=OTHER_CHANNEL)

    services.meetings.plan()
    assert owed(services, REMIND_DELIVERY) == []

    clock.set(REVIEW_AT - timedelta(days=7, seconds=1))
    services.meetings.plan()
    assert owed(services, REMIND_DELIVERY) == []

    clock.set(REVIEW_AT - timedelta(days=7))
    services.meetings.plan()
    services.meetings.plan()
    assert sorted(owed(services, REMIND_DELIVERY)) == [BEA, CAI]


def test_reminder_lists_the_owners_open_actions_overdue_first(
    services: Services, clock: FrozenClock
) -> None:
    schedule(services)
    first, second = add_actions(services, [BEA, BEA])
    clock.set(REVIEW_AT - timedelta(days=7))
    services.updates.update(
        team_id=TEAM,
        action_id=second,
        by_user=BEA,
        update=Update(Change.DATE, target_on=date(2026, 12, 10)),
        scope=Scope(ScopeKind.OWNER, BEA),
        today=TODAY,
    )
    services.meetings.plan()
    review_id = owed_subject(services, REMIND_DELIVERY)

    listing = services.meetings.reminder(team_id=TEAM, review_id=review_id, owner_id=BEA)

    assert listing is not None
    assert [a.id for a in listing.actions] == [first, second]
    assert [a.id for a in listing.overdue] == [first]  # due the 23rd; it is the 24th


def test_follow_up_only_for_owners_who_did_not_update(
    services: Services, clock: FrozenClock
) -> None:
    schedule(services)
    bea_1, bea_2, cai_1, dan_1 = add_actions(services, [BEA, BEA, CAI, DAN])
    clock.set(REVIEW_AT - timedelta(days=7))
    services.meetings.plan()
    review_id = owed_subject(services, REMIND_DELIVERY)
    for owner, ids in ((BEA, [bea_1, bea_2]), (CAI, [cai_1]), (DAN, [dan_1])):
        services.meetings.record_reminder(
            team_id=TEAM,
            review_id=review_id,
            owner_id=owner,
            action_ids=ids,
            dm_conversation="D" + owner,
            dm_ref="1.0",
        )
    clock.advance(timedelta(days=1))
    scope = Scope(ScopeKind.MEETING, BEA, review_id)
    update(services, bea_1, BEA, Update(Change.DONE), scope)
    update(services, bea_2, BEA, Update(Change.NOTE, note="waiting on vendor"), scope)
    update(services, cai_1, CAI, Update(Change.IN_PROGRESS), Scope(ScopeKind.OWNER, CAI))

    clock.set(REVIEW_AT - timedelta(days=1))
    services.meetings.plan()
    services.meetings.plan()

    assert owed(services, FOLLOWUP_DELIVERY) == [DAN]
    assert services.meetings.followup(team_id=TEAM, review_id=review_id, owner_id=BEA) is None
    waiting = services.meetings.followup(team_id=TEAM, review_id=review_id, owner_id=DAN)
    assert waiting is not None and [a.id for a in waiting.actions] == [dan_1]


def test_agenda_at_review_time_shows_owners_done_silent_unreachable_and_trend(
    services: Services, clock: FrozenClock
) -> None:
    schedule(services)
    bea_1, cai_1, dan_1 = add_actions(services, [BEA, CAI, DAN])
    clock.set(REVIEW_AT - timedelta(days=7))
    services.meetings.plan()
    review_id = owed_subject(services, REMIND_DELIVERY)
    services.meetings.record_reminder(
        team_id=TEAM,
        review_id=review_id,
        owner_id=CAI,
        action_ids=[cai_1],
        dm_conversation="D",
        dm_ref="1",
    )
    fail_reminder_of(services, DAN, "user_not_found")
    update(services, bea_1, BEA, Update(Change.DONE), Scope(ScopeKind.OWNER, BEA))

    clock.set(REVIEW_AT)
    report = services.meetings.plan()
    assert report.agendas == 1
    assert services.meetings.plan().agendas == 0
    assert owed(services, AGENDA_DELIVERY) == [CHANNEL]
    agenda = services.meetings.agenda(team_id=TEAM, review_id=review_id)

    assert [(owner, [a.id for a in items]) for owner, items in agenda.by_owner] == [
        (CAI, [cai_1]),
        (DAN, [dan_1]),
    ]
    assert [a.id for a in agenda.done_since] == [bea_1]
    assert agenda.not_responded == (CAI,)
    assert [(u.user_id, u.error) for u in agenda.unreachable] == [(DAN, "user_not_found")]
    assert (agenda.now.open_actions, agenda.trend) == (2, "first")

    # A month later one more action is done: the pile shrank.
    update(services, cai_1, CAI, Update(Change.DONE), Scope(ScopeKind.OWNER, CAI))
    clock.set(datetime(2027, 1, 5, 10, tzinfo=UTC))
    services.meetings.plan()
    with services.sessions() as session:
        january = session.scalars(
            select(ReviewMeeting.id).order_by(ReviewMeeting.scheduled_at.desc())
        ).first()
    assert january is not None
    agenda = services.meetings.agenda(team_id=TEAM, review_id=january)
    assert [(p.open_actions) for p in (agenda.now, *agenda.before)] == [1, 2]
    assert agenda.trend == "shrank"
    assert [a.id for a in agenda.done_since] == [cai_1]


def test_downtime_through_lead_time_still_owes_reminders_once(
    services: Services, clock: FrozenClock
) -> None:
    schedule(services)
    add_actions(services, [BEA, CAI])
    services.meetings.plan()

    clock.set(REVIEW_AT - timedelta(days=2))  # down from the 20th to the 29th
    services.meetings.plan()
    services.meetings.plan()

    assert sorted(owed(services, REMIND_DELIVERY)) == [BEA, CAI]
    assert owed(services, AGENDA_DELIVERY) == []


def test_downtime_through_reviews_owes_one_agenda_for_the_latest_only(
    services: Services, clock: FrozenClock
) -> None:
    schedule(services)
    add_actions(services, [BEA])
    services.meetings.plan()

    clock.set(datetime(2027, 1, 10, tzinfo=UTC))  # down through 1 Dec and 5 Jan
    services.meetings.plan()
    services.meetings.plan()

    assert owed(services, AGENDA_DELIVERY) == [CHANNEL]
    assert owed(services, REMIND_DELIVERY) == []
    with services.sessions() as session:
        agenda_review = session.scalar(
            select(ReviewMeeting.scheduled_at).where(ReviewMeeting.agenda_planned_at.is_not(None))
        )
    assert agenda_review == datetime(2027, 1, 5, 10, tzinfo=UTC)


def test_a_schedule_set_after_this_months_review_owes_no_agenda_for_it(
    services: Services, clock: FrozenClock
) -> None:
    clock.set(REVIEW_AT + timedelta(hours=1))
    schedule(services)
    services.meetings.plan()
    assert owed(services, AGENDA_DELIVERY) == []


def test_planning_issues_the_same_statements_for_3_or_300_actions(
    services: Services, clock: FrozenClock, engine: Engine
) -> None:
    schedule(services)
    add_actions(services, [BEA, CAI, DAN])
    clock.set(REVIEW_AT - timedelta(days=7))
    with statements(engine) as small:
        services.meetings.plan()

    services.meetings.clear_schedule(team_id=TEAM, channel_id=CHANNEL)
    clock.set(datetime(2026, 11, 20, 10, tzinfo=UTC))
    services.meetings.set_schedule(
        team_id=TEAM,
        channel_id=OTHER_CHANNEL,
        cadence=parse_cadence(
            "monthly first tuesday 10:00 Europe/London", default_timezone="UTC", today=TODAY
        ),
        by_user=FACILITATOR,
    )
    add_actions(services, [f"U{i:05d}" for i in range(300)], channel=OTHER_CHANNEL)
    clock.set(REVIEW_AT - timedelta(days=7))
    with statements(engine) as big:
        report = services.meetings.plan()

    assert report.reminders == 300
    assert len(big) == len(small), big
    assert len(big) <= 12, big


def test_overdue_actions_are_nudged_at_most_weekly(services: Services, clock: FrozenClock) -> None:
    (bea_1, bea_2, cai_1) = add_actions(services, [BEA, BEA, CAI])
    clock.set(datetime(2026, 11, 25, 1, tzinfo=UTC))  # bea_1 (due 23rd) and bea_2 (24th)
    services.meetings.plan()
    services.meetings.plan()
    assert owed(services, OVERDUE_DELIVERY) == [BEA]

    listing = services.updates.overdue_to_nudge(
        team_id=TEAM, owner_id=BEA, today=date(2026, 11, 25)
    )
    assert [a.id for a in listing.actions] == [bea_1, bea_2]
    services.updates.record_nudges(team_id=TEAM, action_ids=[bea_1, bea_2])
    mark_all_sent(services)

    clock.set(datetime(2026, 11, 26, 1, tzinfo=UTC))  # cai_1 (due 25th) is now overdue too
    services.meetings.plan()
    assert owed(services, OVERDUE_DELIVERY) == [BEA, CAI]
    services.updates.record_nudges(team_id=TEAM, action_ids=[cai_1])
    mark_all_sent(services)

    clock.set(datetime(2026, 12, 2, 0, 59, tzinfo=UTC))
    services.meetings.plan()
    assert owed(services, OVERDUE_DELIVERY) == [BEA, CAI]
    clock.set(datetime(2026, 12, 2, 1, 1, tzinfo=UTC))
    services.meetings.plan()
    assert owed(services, OVERDUE_DELIVERY) == [BEA, CAI, BEA]


def test_only_the_owner_can_update_an_action(services: Services) -> None:
    (bea_1,) = add_actions(services, [BEA])
    with pytest.raises(NotAllowed):
        update(services, bea_1, CAI, Update(Change.DONE), Scope(ScopeKind.OWNER, BEA))


def test_updates_are_recorded_with_who_when_old_and_new(
    services: Services, clock: FrozenClock
) -> None:
    (bea_1,) = add_actions(services, [BEA])
    scope = Scope(ScopeKind.OWNER, BEA)
    listing = update(services, bea_1, BEA, Update(Change.BLOCKED, note="needs a DBA"), scope)
    update(services, bea_1, BEA, Update(Change.DATE, target_on=date(2026, 12, 24)), scope)
    with pytest.raises(InvalidInput):
        update(services, bea_1, BEA, Update(Change.BLOCKED), scope)
    with pytest.raises(InvalidInput):
        update(services, bea_1, BEA, Update(Change.DATE, target_on=date(2026, 11, 1)), scope)

    assert listing.listing is not None
    assert listing.listing.actions[0].status is ActionStatus.BLOCKED
    with services.sessions() as session:
        history = session.execute(
            select(
                ActionEvent.what,
                ActionEvent.actor_id,
                ActionEvent.old_value,
                ActionEvent.new_value,
                ActionEvent.note,
            )
            .where(ActionEvent.action_id == bea_1)
            .order_by(ActionEvent.id)
        ).all()
        target = session.scalar(select(Action.target_on).where(Action.id == bea_1))
    assert as_slack(services, [tuple(row) for row in history]) == [
        ("created", FACILITATOR, None, None, None),
        ("status", BEA, "open", "blocked", "needs a DBA"),
        ("target", BEA, "2026-11-23", "2026-12-24", None),
    ]
    assert target == date(2026, 12, 24)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((20, 11), None),  # Friday 11:00
        ((20, 18), (23, 10)),  # Friday evening: Monday
        ((24, 7), (24, 10)),  # Tuesday early: that morning
        ((22, 12), (23, 10)),  # Sunday: Monday
    ],
)
def test_nudges_wait_for_working_hours_where_the_owner_is(
    local: tuple[int, int], expected: tuple[int, int] | None
) -> None:
    zone = ZoneInfo("America/New_York")
    when = nudge_time(datetime(2026, 11, *local, tzinfo=zone).astimezone(UTC), zone)
    assert when == (datetime(2026, 11, *expected, tzinfo=zone) if expected else None)


def update(services: Services, action_id: int, user: str, change: Update, scope: Scope) -> Any:
    return services.updates.update(
        team_id=TEAM, action_id=action_id, by_user=user, update=change, scope=scope, today=TODAY
    )


def owed_subject(services: Services, kind: str) -> int:
    with services.sessions() as session:
        subject = session.scalar(select(Delivery.subject_id).where(Delivery.kind == kind))
    assert subject is not None
    return subject


def fail_reminder_of(services: Services, owner: str, error: str) -> None:
    with services.sessions.begin() as session:
        row = session.scalars(
            select(Delivery).where(
                Delivery.kind == REMIND_DELIVERY,
                Delivery.recipient_id == as_stored(services, owner),
            )
        ).one()
        row.status, row.last_error = DeliveryStatus.FAILED, error


def mark_all_sent(services: Services) -> None:
    for delivery in services.deliveries.claim_due(limit=1000):
        services.deliveries.mark_sent(delivery_id=delivery.id)


def test_a_reminder_recorded_as_sent_is_not_sent_again(
    services: Services, clock: FrozenClock
) -> None:
    schedule(services)
    (bea_1,) = add_actions(services, [BEA])
    clock.set(REVIEW_AT - timedelta(days=7))
    services.meetings.plan()
    review_id = owed_subject(services, REMIND_DELIVERY)
    # The DM went out and was recorded, then the sender died before marking it sent.
    services.meetings.record_reminder(
        team_id=TEAM,
        review_id=review_id,
        owner_id=BEA,
        action_ids=[bea_1],
        dm_conversation="D",
        dm_ref="1",
    )

    assert services.meetings.reminder(team_id=TEAM, review_id=review_id, owner_id=BEA) is None


def test_agenda_and_listings_issue_the_same_statements_for_3_or_300_actions(
    services: Services, clock: FrozenClock, engine: Engine
) -> None:
    schedule(services)
    add_actions(services, [BEA, CAI, DAN])
    clock.set(REVIEW_AT)
    services.meetings.plan()
    first = owed_subject(services, AGENDA_DELIVERY)
    scope = Scope(ScopeKind.CHANNEL, CHANNEL)
    with statements(engine) as small:
        services.meetings.agenda(team_id=TEAM, review_id=first)
        services.updates.listing(team_id=TEAM, scope=scope, today=TODAY)

    add_actions(services, [f"U{i:05d}" for i in range(300)])
    clock.set(datetime(2027, 1, 5, 10, tzinfo=UTC))
    services.meetings.plan()
    with services.sessions() as session:
        second = session.scalars(
            select(ReviewMeeting.id).order_by(ReviewMeeting.scheduled_at.desc())
        ).first()
    assert second is not None
    with statements(engine) as big:
        agenda = services.meetings.agenda(team_id=TEAM, review_id=second)
        listing = services.updates.listing(team_id=TEAM, scope=scope, today=TODAY)

    assert (agenda.now.open_actions, listing.total) == (303, 303)
    assert len(big) == len(small), big
