from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from handlers.slack.blocks import Blocks
from handlers.slack.deliveries import Courier
from handlers.slack.membership import Membership
from models.services import Services


@dataclass(frozen=True, slots=True)
class Deps:
    services: Services
    blocks: Blocks
    courier: Courier
    timezone: ZoneInfo
    # Who is in which private channel, asked of Slack and cached briefly: one cache per
    # process, shared by every surface that must not show a private channel's records.
    membership: Membership

    def today(self) -> date:
        """Today where the team works; dates people type are read against it."""
        return self.services.clock.now().astimezone(self.timezone).date()
