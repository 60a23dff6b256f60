from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from handlers.slack.blocks import Blocks
from handlers.slack.clients import SlackClients
from handlers.slack.deliveries import Courier
from handlers.slack.membership import Membership
from models.services import Services


@dataclass(frozen=True, slots=True)
class Deps:
    services: Services
    blocks: Blocks
    courier: Courier
    # The Web API client for a workspace, for what is sent outside a request (the outbox,
    # the Home tab); a listener answering a request uses Bolt's per-request client.
    clients: SlackClients
    # Who is in which private channel, asked of Slack and cached briefly: one cache per
    # process, shared by every surface that must not show a private channel's records.
    membership: Membership

    def zone(self, team_id: str) -> ZoneInfo:
        """The workspace's time zone (models.core.workspaces)."""
        return self.services.workspaces.settings(team_id=team_id).zone

    def today(self, team_id: str) -> date:
        """Today where the team works; dates people type are read against it."""
        return self.services.clock.now().astimezone(self.zone(team_id)).date()
