"""Which private channels a person is in, asked of Slack and remembered briefly.

The library shows a private channel's lessons only to its members. Slack is the source of
truth; answers are cached per (team, user) for two minutes so search and App Home stay
fast without trusting membership for long. A failed lookup means "no private channels":
privacy fails closed.
https://api.slack.com/methods/users.conversations
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from models.clock import Clock

log = logging.getLogger(__name__)

CACHE_FOR = timedelta(minutes=2)
PAGE_LIMIT = 200
MAX_PAGES = 50


class Membership:
    def __init__(self, clock: Clock, cache_for: timedelta = CACHE_FOR) -> None:
        self._clock, self._cache_for = clock, cache_for
        self._cache: dict[tuple[str, str], tuple[datetime, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def private_channels(self, client: WebClient, *, team_id: str, user_id: str) -> frozenset[str]:
        key, now = (team_id, user_id), self._clock.now()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = self._ask(client, user_id)
        if found is None:
            return frozenset()  # not cached: the next request asks again
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now + self._cache_for, found)
        return found

    def _ask(self, client: WebClient, user_id: str) -> frozenset[str] | None:
        channels: set[str] = set()
        cursor: str | None = None
        try:
            for _ in range(MAX_PAGES):
                response = client.users_conversations(
                    user=user_id,
                    types="private_channel",
                    exclude_archived=False,
                    limit=PAGE_LIMIT,
                    cursor=cursor,
                )
                listed: list[dict[str, Any]] = response.get("channels", [])
                channels.update(str(channel["id"]) for channel in listed)
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    break
        except SlackApiError as error:
            log.warning(
                "could not list private channels of %s: %s", user_id, error.response.get("error")
            )
            return None
        return frozenset(channels)
