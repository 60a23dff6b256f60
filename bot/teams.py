"""Builds the Teams front end from settings (see handlers/teams/app.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from bot.scheduler import DELIVERY_INTERVAL_SECONDS
from handlers.teams.app import TeamsApp, build_teams
from handlers.teams.connector import AccessTokens, MsalTokens
from handlers.teams.documents import DocumentLinks, signing_key
from models.core.clock import Clock
from models.services import Services
from templates import Templates

log = logging.getLogger(__name__)


def create_teams(
    settings: Settings, services: Services, *, tokens: AccessTokens | None = None
) -> TeamsApp:
    """`tokens`: how the app gets its Bot Connector token (default: the SDK's MSAL client
    for TEAMS_APP_ID and TEAMS_APP_PASSWORD)."""
    assert settings.teams_app_id is not None, "TEAMS_APP_ID is not set"
    return build_teams(
        services,
        app_id=settings.teams_app_id,
        tenant_id=settings.teams_tenant_id,
        metadata_url=settings.teams_metadata_url,
        documents=DocumentLinks(
            services,
            Templates(settings.template_dir),
            key=signing_key(settings.teams_app_password or settings.teams_app_id),
            public_url=settings.public_url,
            clock=services.clock,
        ),
        tokens=tokens
        or MsalTokens(
            app_id=settings.teams_app_id,
            password=settings.teams_app_password or "",
            tenant_id=settings.teams_tenant_id,
        ),
    )


def tick(teams: TeamsApp, plan: Callable[[], object] | None = None) -> None:
    """One tick for Teams: activities left by a crash, what is due now (`plan`: when no
    Slack front end's tick plans it), then what is owed to Teams."""
    try:
        teams.inbox.drain()
        teams.inbox.purge()
    except Exception:  # a stuck activity must not stop deliveries
        log.exception("processing stored Teams activities failed")
    if plan is not None:
        try:
            plan()
        except Exception:  # a planning failure must not stop sending what is owed already
            log.exception("planning due reminders failed; sending what is already owed")
    teams.courier.deliver_due()


def add_teams_job(
    scheduler: BackgroundScheduler,
    teams: TeamsApp,
    clock: Clock,
    plan: Callable[[], object] | None = None,
) -> None:
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=DELIVERY_INTERVAL_SECONDS, timezone=UTC),
        args=(teams, plan),
        id="teams-deliver-due",
        replace_existing=True,
        next_run_time=clock.now(),
    )


def teams_scheduler(
    teams: TeamsApp, clock: Clock, plan: Callable[[], object] | None
) -> BackgroundScheduler:
    """The ticker of a process that runs only the Teams front end (it plans, too)."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"misfire_grace_time": 3600, "coalesce": True, "max_instances": 1},
    )
    add_teams_job(scheduler, teams, clock, plan)
    return scheduler
