"""Per-channel preferences."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.core.clock import Clock
from models.core.tables import ChannelSettings


class Channels:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions, self._clock = sessions, clock

    def coach_enabled(self, *, team_id: str, channel_id: str) -> bool:
        """The coach is on unless the channel turned it off."""
        with self._sessions() as session:
            enabled = session.scalar(
                select(ChannelSettings.coach_enabled).where(
                    ChannelSettings.team_id == team_id, ChannelSettings.channel_id == channel_id
                )
            )
            return enabled is None or enabled

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
