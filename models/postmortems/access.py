"""Reads that decide, before a use case runs, whether the verified viewer may read the
post-mortem an id names, by the channel rule of models/core/privacy.py.

Buttons, forms and commands name records by id, and those ids arrive in values a client
could have changed. A post-mortem the viewer may not read gets the same answer as one that
does not exist, so a refusal never tells anybody that a private review exists.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.core.errors import NotFound
from models.core.privacy import NO_CHANNEL, Viewer, require_channel
from models.postmortems.tables import Postmortem
from models.postmortems.views import PostmortemView

NO_POSTMORTEM = "I can't find that post-mortem any more."


class ReadAccess:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def postmortem(self, *, viewer: Viewer, postmortem_id: int) -> PostmortemView:
        """The review, if it exists in the viewer's team and its channel is readable."""
        with self._sessions() as session:
            row = session.scalar(
                select(Postmortem).where(
                    Postmortem.id == postmortem_id, Postmortem.team_id == viewer.team_id
                )
            )
            if row is None:
                raise NotFound(NO_POSTMORTEM)
            require_channel(session, viewer, row.team_id, row.channel_id, missing=NO_POSTMORTEM)
            return PostmortemView.of(row)

    def channel_of_postmortem(self, *, team_id: str, postmortem_id: int) -> str | None:
        """Which channel a review belongs to, so its privacy can be learnt before a check."""
        with self._sessions() as session:
            return session.scalar(
                select(Postmortem.channel_id).where(
                    Postmortem.id == postmortem_id, Postmortem.team_id == team_id
                )
            )

    def channel(self, *, viewer: Viewer, channel_id: str) -> None:
        with self._sessions() as session:
            require_channel(session, viewer, viewer.team_id, channel_id, missing=NO_CHANNEL)
