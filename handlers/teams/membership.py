"""Who is in which Teams conversation, asked of Teams and cached briefly: lessons of a
conversation Lessonloop does not know to be public are shown only to its members
(models.core.privacy), so a search needs the conversations the person is in."""

from __future__ import annotations

import threading
from datetime import timedelta

from cachetools import TTLCache

from handlers.teams.connector import Connector, ConnectorError, Target
from models.core.clock import Clock
from models.core.references import Platform
from models.services import Services

CACHE_FOR = timedelta(minutes=5)
CACHED_CONVERSATIONS = 2_000
# A search asks about at most this many of a tenant's conversations (most recent first).
MAX_CONVERSATIONS = 50
CONVERSATION_PREFIX = "19:"  # "19:…@thread.tacv2" (channels), "19:…@thread.v2" (chats)


class TeamsMembership:
    def __init__(self, services: Services, connector: Connector, clock: Clock) -> None:
        self._services, self._connector = services, connector
        # Expiry reads the app's clock; every access holds the lock, not the Teams call.
        self._rosters: TTLCache[tuple[str, str], frozenset[str]] = TTLCache(
            maxsize=CACHED_CONVERSATIONS,
            ttl=CACHE_FOR.total_seconds(),
            timer=lambda: clock.now().timestamp(),
        )
        self._lock = threading.Lock()

    def conversations_of(self, *, team_id: str, user_id: str) -> frozenset[str]:
        """The conversations of tenant `team_id` the app knows and `user_id` is in."""
        known = self._services.addresses.conversations(
            platform=Platform.TEAMS,
            team_id=team_id,
            prefix=CONVERSATION_PREFIX,
            limit=MAX_CONVERSATIONS,
        )
        return frozenset(
            address.ref
            for address in known
            if user_id in self._roster(team_id, Target(address.service_url, address.ref))
        )

    def _roster(self, team_id: str, target: Target) -> frozenset[str]:
        key = (team_id, target.conversation_id)
        with self._lock:
            cached = self._rosters.get(key)
        if cached is not None:
            return cached
        try:
            members = self._connector.members(target)
        except ConnectorError:
            return frozenset()  # the app was removed, or Teams is busy: not cached
        with self._lock:
            self._rosters[key] = members
        return members
