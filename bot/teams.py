"""Builds the Teams front end from settings (see handlers/teams/app.py)."""

from __future__ import annotations

from bot.config import Settings
from handlers.teams.app import TeamsApp, build_teams
from handlers.teams.connector import AccessTokens, MsalTokens
from models.services import Services


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
        tokens=tokens
        or MsalTokens(
            app_id=settings.teams_app_id,
            password=settings.teams_app_password or "",
            tenant_id=settings.teams_tenant_id,
        ),
    )
