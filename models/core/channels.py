"""Per-channel preferences. A channel's coach setting overrides its workspace's default
(models.core.workspaces); a channel that never chose follows the workspace."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.core.clock import Clock
from models.core.tables import ChannelSettings
from models.core.workspaces import Workspaces


class Channels:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, workspaces: Workspaces
    ) -> None:
        self._sessions, self._clock, self._workspaces = sessions, clock, workspaces

    def coach_enabled(self, *, team_id: str, channel_id: str) -> bool:
        """The channel's own choice, else its workspace's default."""
        with self._sessions() as session:
            enabled = session.scalar(
                select(ChannelSettings.coach_enabled).where(
                    ChannelSettings.team_id == team_id, ChannelSettings.channel_id == channel_id
                )
            )
        if enabled is None:
            return self._workspaces.settings(team_id=team_id).coach_enabled
        return enabled

    def set_coach(self, *, team_id: str, channel_id: str, enabled: bool, by_user: str) -> None:
        with self._sessions.begin() as session:
            row = session.get(ChannelSettings, (team_id, channel_id))
            if row is None:
                row = ChannelSettings(team_id=team_id, channel_id=channel_id)
                session.add(row)
            row.coach_enabled, row.updated_by, row.updated_at = (
                enabled,
                by_user,
                self._clock.now(),
            )
