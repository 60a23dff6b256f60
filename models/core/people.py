"""People's time zones (from Slack's users.info, cached for a day) and when a nudge may
reach them: on a weekday between 09:00 and 17:00 where they are."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.core.clock import Clock
from models.core.db import insert_if_absent
from models.core.tables import Person

# Kept in the `people` table, not an in-process cache (cachetools): every process and
# every restart reads what one users.info call learnt, and users.info is rate limited per
# workspace. One primary-key read per nudge is what checking freshness costs.
FRESH_FOR = timedelta(days=1)
WORKDAY_STARTS, WORKDAY_ENDS, NUDGE_AT = time(9), time(17), time(10)


class People:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions, self._clock = sessions, clock

    def known_zone(self, *, team_id: str, user_id: str) -> tuple[bool, str | None]:
        """(known, zone): known is False when Slack should be asked again."""
        with self._sessions() as session:
            row = session.scalar(
                select(Person).where(Person.team_id == team_id, Person.user_id == user_id)
            )
            if row is None or row.fetched_at < self._clock.now() - FRESH_FOR:
                return False, None
            return True, row.tz

    def remember_zone(self, *, team_id: str, user_id: str, tz: str | None) -> None:
        now = self._clock.now()
        with self._sessions.begin() as session:
            if not insert_if_absent(
                session, Person, team_id=team_id, user_id=user_id, tz=tz, fetched_at=now
            ):
                row = session.get_one(Person, (team_id, user_id))
                row.tz, row.fetched_at = tz, now


def zone_or_utc(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def nudge_time(now: datetime, zone: ZoneInfo) -> datetime | None:
    """None when `now` is a fine moment to nudge someone in `zone`; otherwise the next
    weekday 10:00 there (aware UTC)."""
    local = now.astimezone(zone)
    if local.weekday() < 5 and WORKDAY_STARTS <= local.time() < WORKDAY_ENDS:
        return None
    day = local.date() if local.time() < WORKDAY_STARTS else local.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, NUDGE_AT, tzinfo=zone).astimezone(ZoneInfo("UTC"))
