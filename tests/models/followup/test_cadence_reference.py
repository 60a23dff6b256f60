"""The review meeting cadence (dateutil rrule) against a reference: APScheduler's
CronTrigger, which computed the same occurrences before. Random cadences, time zones and
moments, daylight-saving changes included, must give the same next and latest meetings,
with two deliberate differences, both where CronTrigger was inconsistent: a local time that
autumn repeats is one meeting, not two; a local time that spring skips is held an hour
later (the offset before the change), where CronTrigger sometimes dropped that meeting."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from models.followup.cadence import Cadenced
from models.followup.tables import Cadence

CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", -1: "last"}
ZONES = (
    "UTC",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Santiago",
)
# Local times inside the hour that spring skips or autumn repeats, and ordinary ones.
TIMES = ("00:00", "01:30", "02:00", "02:30", "03:15", "09:00", "10:00", "16:45", "23:59")


def reference_next(cadence: Cadenced, after: datetime) -> datetime:
    """The first occurrence strictly after `after`, as CronTrigger finds it."""
    hour, minute = (int(part) for part in cadence.local_time.split(":"))
    common = {"hour": hour, "minute": minute, "second": 0, "timezone": ZoneInfo(cadence.timezone)}
    day = CRON_DAYS[cadence.weekday or 0]
    if cadence.cadence is Cadence.MONTHLY_WEEKDAY:
        trigger = CronTrigger(day=f"{ORDINALS[cadence.week_of_month or 1]} {day}", **common)
    elif cadence.cadence is Cadence.MONTHLY_DATE:
        trigger = CronTrigger(day=cadence.day_of_month, **common)
    else:
        trigger = CronTrigger(day_of_week=day, **common)
    fire = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    while not on_cycle(cadence, fire):
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return fire.astimezone(UTC)


def reference_following(cadence: Cadenced, at: datetime) -> datetime:
    """CronTrigger's next after an occurrence, except that it fires a second time when
    autumn repeats the meeting's local time (02:30 twice): one meeting, the first."""
    zone = ZoneInfo(cadence.timezone)
    wall = at.astimezone(zone).replace(tzinfo=None)
    following = reference_next(cadence, at)
    while following.astimezone(zone).replace(tzinfo=None) == wall:
        following = reference_next(cadence, following)
    return following


def assert_next_matches(cadence: Cadenced, after: datetime, reference: datetime) -> datetime:
    found = cadence.next_at(after)
    local = found.astimezone(ZoneInfo(cadence.timezone))
    if f"{local:%H:%M}" != cadence.local_time:
        # Spring skipped the meeting's time that day: held later that day, never dropped;
        # CronTrigger held it there too, or dropped that day's meeting.
        zone = ZoneInfo(cadence.timezone)
        assert found.astimezone(zone).date() == local.date()
        assert reference == found or reference.astimezone(zone).date() > local.date()
    else:
        assert found == reference, (cadence, after)
    return found


def on_cycle(cadence: Cadenced, fire: datetime) -> bool:
    if cadence.cadence is not Cadence.BIWEEKLY or cadence.anchor_on is None:
        return True
    local = fire.astimezone(ZoneInfo(cadence.timezone)).date()
    anchor_monday = cadence.anchor_on - timedelta(days=cadence.anchor_on.weekday())
    return (local - anchor_monday).days // 7 % 2 == 0


def random_cadence(rng: random.Random) -> Cadenced:
    kind = rng.choice(list(Cadence))
    return Cadenced(
        cadence=kind,
        local_time=rng.choice(TIMES),
        timezone=rng.choice(ZONES),
        weekday=rng.randrange(7),
        week_of_month=rng.choice((1, 2, 3, 4, -1)),
        day_of_month=rng.randint(1, 28),
        anchor_on=date(2026, 1, 1) + timedelta(days=rng.randrange(900))
        if kind is Cadence.BIWEEKLY
        else None,
    )


@pytest.mark.parametrize("seed", range(6))
def test_next_and_latest_meetings_match_cron(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        cadence = random_cadence(rng)
        moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(1_600_000))
        expected = assert_next_matches(cadence, moment, reference_next(cadence, moment))
        # The next one is the latest at or before itself, and before it comes the last.
        assert cadence.latest_at_or_before(expected) == expected, cadence
        latest = cadence.latest_at_or_before(moment)
        assert latest <= moment < expected
        assert_next_matches(cadence, latest, reference_following(cadence, latest))


def test_around_every_daylight_saving_change_the_meetings_match_cron() -> None:
    for zone in ZONES:
        for local_time in TIMES:
            cadence = Cadenced(Cadence.WEEKLY, local_time, zone, weekday=6)  # Sundays
            at = datetime(2026, 1, 1, tzinfo=UTC)
            for _ in range(110):  # two years of Sundays
                at = assert_next_matches(cadence, at, reference_following(cadence, at))
