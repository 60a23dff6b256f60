from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from models.core.clock import FrozenClock
from models.core.db import make_sessions
from models.core.errors import InvalidInput, Reason
from models.core.references import Platform
from models.core.workspaces import (
    ReviewDefaults,
    WorkspaceDefaults,
    Workspaces,
    canonical_zone,
)
from tests.statements import statements as sql_sent

TEAM = "T0WORK"


def workspaces(engine: Engine, clock: FrozenClock, zone: str = "UTC", **kw: float) -> Workspaces:
    return Workspaces(make_sessions(engine), clock, WorkspaceDefaults(timezone=zone), **kw)


def test_a_new_workspace_starts_from_the_process_defaults(
    engine: Engine, clock: FrozenClock
) -> None:
    settings = workspaces(engine, clock, "Europe/Paris").settings(team_id=TEAM)

    assert settings.timezone == "Europe/Paris"
    assert settings.zone.key == "Europe/Paris"
    assert settings.coach_enabled is True
    assert settings.review == ReviewDefaults()
    assert settings.platform == "slack"
    assert settings.updated_by is None


def test_an_existing_workspace_keeps_its_zone_when_the_process_default_changes(
    engine: Engine, clock: FrozenClock
) -> None:
    workspaces(engine, clock, "Europe/Paris").settings(team_id=TEAM)

    later = workspaces(engine, clock, "Asia/Tokyo")

    assert later.settings(team_id=TEAM).timezone == "Europe/Paris"
    assert later.settings(team_id="T0NEW").timezone == "Asia/Tokyo"


def test_a_change_is_kept_and_read_back_at_once(engine: Engine, clock: FrozenClock) -> None:
    service = workspaces(engine, clock)
    service.settings(team_id=TEAM)  # cached before the change
    clock.advance(timedelta(minutes=5))

    changed = service.change(team_id=TEAM, by_user="U0ADMIN", timezone="america/new_york")

    assert changed.timezone == "America/New_York"
    assert changed.updated_by == "U0ADMIN"
    assert changed.updated_at == clock.now()
    assert service.settings(team_id=TEAM).timezone == "America/New_York"
    # Another process (its own cache) reads the same row.
    assert workspaces(engine, clock).settings(team_id=TEAM).timezone == "America/New_York"


def test_a_change_keeps_what_it_does_not_name(engine: Engine, clock: FrozenClock) -> None:
    service = workspaces(engine, clock)
    service.change(team_id=TEAM, by_user="U0ADMIN", timezone="Europe/Berlin")
    review = ReviewDefaults(cadence="weekly", weekday=1, local_time="09:30", lead_days=3)

    service.change(team_id=TEAM, by_user="U0ADMIN", coach_enabled=False)
    settings = service.change(team_id=TEAM, by_user="U0ADMIN", review=review)

    assert (settings.timezone, settings.coach_enabled) == ("Europe/Berlin", False)
    assert settings.review == review


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "", "localtime", "posix/Europe/Paris", "../etc"]
)
def test_an_unknown_zone_is_refused_and_nothing_changes(
    engine: Engine, clock: FrozenClock, zone: str
) -> None:
    service = workspaces(engine, clock, "Europe/Paris")
    service.settings(team_id=TEAM)

    with pytest.raises(InvalidInput) as refused:
        service.change(team_id=TEAM, by_user="U0ADMIN", timezone=zone)

    assert refused.value.reason is Reason.ZONE_UNKNOWN
    assert refused.value.params == {"typed": zone.strip()[:60]}
    assert refused.value.field == "timezone"
    assert workspaces(engine, clock).settings(team_id=TEAM).timezone == "Europe/Paris"


def test_zone_names_are_spelt_as_the_zone_database_does() -> None:
    assert canonical_zone(" utc ") == "UTC"
    assert canonical_zone("AMERICA/ARGENTINA/BUENOS_AIRES") == "America/Argentina/Buenos_Aires"


def test_settings_are_read_from_the_cache_until_it_expires(
    engine: Engine, clock: FrozenClock
) -> None:
    service = workspaces(engine, clock)
    service.settings(team_id=TEAM)

    with sql_sent(engine) as sent:
        for _ in range(20):
            service.settings(team_id=TEAM)
    assert sent == []

    no_cache = workspaces(engine, clock, cache_seconds=0)
    with sql_sent(engine) as sent:
        no_cache.settings(team_id=TEAM)
        no_cache.settings(team_id=TEAM)
    assert len([s for s in sent if s.lstrip().upper().startswith("SELECT")]) == 2


def test_a_change_in_another_process_is_seen_when_the_cache_expires(
    engine: Engine, clock: FrozenClock
) -> None:
    reader = workspaces(engine, clock, cache_seconds=0.2)
    assert reader.settings(team_id=TEAM).timezone == "UTC"

    workspaces(engine, clock).change(team_id=TEAM, by_user="U0ADMIN", timezone="Asia/Tokyo")

    assert reader.settings(team_id=TEAM).timezone == "UTC"  # cached: briefly stale
    time.sleep(0.3)
    assert reader.settings(team_id=TEAM).timezone == "Asia/Tokyo"


def test_a_teams_tenant_and_a_slack_workspace_with_the_same_id_keep_separate_settings(
    engine: Engine, clock: FrozenClock
) -> None:
    slack = workspaces(engine, clock, "Europe/Paris")
    teams = slack.for_platform(Platform.TEAMS)
    slack.settings(team_id=TEAM)  # both rows exist and are cached before the changes
    teams.settings(team_id=TEAM)

    teams.change(team_id=TEAM, by_user="29:admin", timezone="Asia/Tokyo", coach_enabled=False)
    slack.change(team_id=TEAM, by_user="U0ADMIN", timezone="America/New_York")

    assert slack.platform == "slack"
    assert (slack.settings(team_id=TEAM).platform, teams.settings(team_id=TEAM).platform) == (
        "slack",
        "teams",
    )
    assert slack.settings(team_id=TEAM).timezone == "America/New_York"
    assert slack.settings(team_id=TEAM).coach_enabled is True
    assert teams.settings(team_id=TEAM).timezone == "Asia/Tokyo"
    assert teams.settings(team_id=TEAM).coach_enabled is False
    assert slack.for_platform(Platform.TEAMS) is teams
    assert teams.for_platform(Platform.SLACK) is slack
    # Another process reads what each platform's row holds, not the other's.
    fresh = workspaces(engine, clock)
    assert fresh.settings(team_id=TEAM).timezone == "America/New_York"
    assert fresh.for_platform(Platform.TEAMS).settings(team_id=TEAM).timezone == "Asia/Tokyo"
