"""Settings that differ per workspace: its time zone, the coach, review defaults.

A workspace's row is created the first time anything asks for its settings, from the
process defaults (LESSONLOOP_TIMEZONE, coach on, reviews at 10:00); after that the row
is the truth, so changing the process default changes new workspaces only.

Reads are cached for CACHE_SECONDS per process: every listener and sender asks for the
time zone, and it changes about never. A change made in this process is seen at once;
one made by another process (a second server) within CACHE_SECONDS."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from cachetools import TTLCache
from sqlalchemy.orm import Session, sessionmaker

from models.core.clock import Clock
from models.core.db import insert_if_absent
from models.core.errors import InvalidInput, Reason
from models.core.references import Platform
from models.core.tables import Workspace

SLACK = Platform.SLACK.value  # the default platform: Slack callers pass none
CACHE_SECONDS = 30
CACHE_SIZE = 4096
DEFAULT_REVIEW_TIME = "10:00"


@dataclass(frozen=True, slots=True)
class ReviewDefaults:
    """What a channel's review schedule takes when it is set without them. `cadence` is
    a models.followup Cadence value, None when each channel must say how often;
    weekday 0 = Monday; lead_days None leaves the reminder lead to the cadence's rule."""

    cadence: str | None = None
    weekday: int | None = None
    week_of_month: int | None = None
    day_of_month: int | None = None
    local_time: str = DEFAULT_REVIEW_TIME
    lead_days: int | None = None


@dataclass(frozen=True, slots=True)
class WorkspaceDefaults:
    """The process-wide settings a new workspace starts from."""

    timezone: str = "UTC"
    coach_enabled: bool = True
    review: ReviewDefaults = field(default_factory=ReviewDefaults)


@dataclass(frozen=True, slots=True)
class WorkspaceSettings:
    team_id: str
    platform: str
    timezone: str
    coach_enabled: bool
    review: ReviewDefaults
    updated_at: datetime
    updated_by: str | None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self, now: datetime) -> date:
        """The date it is in the workspace at `now`."""
        return now.astimezone(self.zone).date()


class Workspaces:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        defaults: WorkspaceDefaults | None = None,
        *,
        platform: str = SLACK,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._sessions, self._clock, self._platform = sessions, clock, platform
        self._defaults = defaults or WorkspaceDefaults()
        self._cache_seconds = cache_seconds
        self._siblings: dict[str, Workspaces] = {platform: self}
        self._cache: TTLCache[str, WorkspaceSettings] = TTLCache(CACHE_SIZE, cache_seconds)
        self._lock = threading.Lock()
        # Bumped by every change: a read that started before a change must not put what
        # it read into the cache after the change emptied it.
        self._generation = 0

    @property
    def defaults(self) -> WorkspaceDefaults:
        return self._defaults

    @property
    def platform(self) -> str:
        return self._platform

    def for_platform(self, platform: str) -> Workspaces:
        """The same settings service for another platform's workspaces (a Teams tenant
        and a Slack workspace may share an id): same defaults, its own rows and cache.
        Built once per platform, so its cache is shared by whoever asks."""
        with self._lock:
            sibling = self._siblings.get(platform)
            if sibling is None:
                sibling = Workspaces(
                    self._sessions,
                    self._clock,
                    self._defaults,
                    platform=platform,
                    cache_seconds=self._cache_seconds,
                )
                sibling._siblings = self._siblings
                self._siblings[platform] = sibling
            return sibling

    def settings(self, *, team_id: str) -> WorkspaceSettings:
        """The workspace's settings, its row created from the defaults on first use."""
        with self._lock:
            cached = self._cache.get(team_id)
            generation = self._generation
        if cached is not None:
            return cached
        view = self._read(team_id) or self._create(team_id)
        with self._lock:
            if generation == self._generation:
                self._cache[team_id] = view
        return view

    def change(
        self,
        *,
        team_id: str,
        by_user: str,
        timezone: str | None = None,
        coach_enabled: bool | None = None,
        review: ReviewDefaults | None = None,
    ) -> WorkspaceSettings:
        """Change what is given, keep the rest. Deciding who may is the front end's job
        (workspace admins, as the platform knows them)."""
        zone = canonical_zone(timezone) if timezone is not None else None
        self.settings(team_id=team_id)  # the row exists from here on
        with self._sessions.begin() as session:
            row = session.get_one(Workspace, (self._platform, team_id))
            if zone is not None:
                row.timezone = zone
            if coach_enabled is not None:
                row.coach_enabled = coach_enabled
            if review is not None:
                _write_review(row, review)
            row.updated_at, row.updated_by = self._clock.now(), by_user
            view = _view(row)
        with self._lock:
            self._generation += 1
            self._cache.pop(team_id, None)
        return view

    def drop_cached(self, *, team_id: str) -> None:
        """Forget what was read of the workspace (its row was deleted)."""
        with self._lock:
            self._generation += 1
            self._cache.pop(team_id, None)

    def _read(self, team_id: str) -> WorkspaceSettings | None:
        with self._sessions() as session:
            row = session.get(Workspace, (self._platform, team_id))
            return _view(row) if row is not None else None

    def _create(self, team_id: str) -> WorkspaceSettings:
        now, defaults = self._clock.now(), self._defaults
        with self._sessions.begin() as session:
            # Two processes may meet a new workspace at once: the first insert wins and
            # both read the same row back.
            insert_if_absent(
                session,
                Workspace,
                platform=self._platform,
                workspace_ref=team_id,
                timezone=canonical_zone(defaults.timezone),
                coach_enabled=defaults.coach_enabled,
                review_cadence=defaults.review.cadence,
                review_weekday=defaults.review.weekday,
                review_week_of_month=defaults.review.week_of_month,
                review_day_of_month=defaults.review.day_of_month,
                review_time=defaults.review.local_time,
                review_lead_days=defaults.review.lead_days,
                created_at=now,
                updated_at=now,
                updated_by=None,
            )
            return _view(session.get_one(Workspace, (self._platform, team_id)))


def canonical_zone(name: str) -> str:
    """The IANA name as the zone database spells it (`europe/paris` -> Europe/Paris);
    raises InvalidInput for anything that is not one."""
    typed = name.strip()
    zone = _zone_names().get(typed.lower())
    if zone is None:
        raise InvalidInput(field="timezone", reason=Reason.ZONE_UNKNOWN, typed=typed[:60])
    return zone


@cache
def _zone_names() -> dict[str, str]:
    # The zone database's names only: ZoneInfo() would also take a path such as
    # "posix/Europe/Paris", and "localtime" is whatever the server's zone happens to be.
    return {name.lower(): name for name in available_timezones() if name != "localtime"}


def _write_review(row: Workspace, review: ReviewDefaults) -> None:
    row.review_cadence, row.review_weekday = review.cadence, review.weekday
    row.review_week_of_month, row.review_day_of_month = review.week_of_month, review.day_of_month
    row.review_time, row.review_lead_days = review.local_time, review.lead_days


def _view(row: Workspace) -> WorkspaceSettings:
    return WorkspaceSettings(
        team_id=row.workspace_ref,
        platform=row.platform,
        timezone=row.timezone,
        coach_enabled=row.coach_enabled,
        review=ReviewDefaults(
            cadence=row.review_cadence,
            weekday=row.review_weekday,
            week_of_month=row.review_week_of_month,
            day_of_month=row.review_day_of_month,
            local_time=row.review_time,
            lead_days=row.review_lead_days,
        ),
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )
