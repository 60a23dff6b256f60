"""Which private channels a person is in, asked of Slack and remembered briefly; and the
gate every button, form and command passes before it acts on an id it was sent.

The library shows a private channel's lessons only to its members. Slack is the source of
truth; answers are cached per (team, user) for two minutes so search and App Home stay
fast without trusting membership for long. A failed lookup means "no private channels":
privacy fails closed.
https://api.slack.com/methods/users.conversations
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta
from typing import Any

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.slack.channel_privacy import ChannelPrivacy
from models.core.clock import Clock
from models.core.errors import NotFound
from models.core.privacy import NO_CHANNEL, Viewer
from models.postmortems.access import ReadAccess
from models.postmortems.views import PostmortemView
from models.services import Services

log = logging.getLogger(__name__)

CACHE_FOR = timedelta(minutes=2)
CACHED_PEOPLE = 10_000
PAGE_LIMIT = 200
MAX_PAGES = 50
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,31}")


class Membership:
    def __init__(self, clock: Clock, cache_for: timedelta = CACHE_FOR) -> None:
        # Expiry reads the app's clock, so a frozen clock in tests moves it. TTLCache is not
        # thread-safe and listeners run on Bolt's worker threads: every access holds the lock
        # (not the Slack call, so one slow lookup does not hold up the others).
        self._cache: TTLCache[tuple[str, str], frozenset[str]] = TTLCache(
            maxsize=CACHED_PEOPLE,
            ttl=cache_for.total_seconds(),
            timer=lambda: clock.now().timestamp(),
        )
        self._lock = threading.Lock()

    def private_channels(self, client: WebClient, *, team_id: str, user_id: str) -> frozenset[str]:
        key = (team_id, user_id)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        found = self._ask(client, user_id)
        if found is None:
            return frozenset()  # not cached: the next request asks again
        with self._lock:
            self._cache[key] = found
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


class Gate:
    """Decides, from the database and Slack's membership answer for the verified user,
    whether that user may read what a value names. Values (button values, private_metadata,
    a channel in a payload) are never trusted: a client could have changed them."""

    def __init__(self, services: Services, membership: Membership) -> None:
        self._access = ReadAccess(services.sessions)
        self._membership = membership
        self._privacy = ChannelPrivacy(services.lessons)

    def viewer(
        self, client: WebClient, *, team_id: str, user_id: str, command_channel: str = ""
    ) -> Viewer:
        """`command_channel`: the channel a slash command came from. Slack sends commands
        only from channels the user is in (the same trust as the user id); a button or a
        form names no such channel."""
        member_of = self._membership.private_channels(client, team_id=team_id, user_id=user_id)
        if command_channel:
            member_of = member_of | {command_channel}
        return Viewer(team_id, user_id, member_of)

    def postmortem(
        self,
        client: WebClient,
        *,
        team_id: str,
        user_id: str,
        postmortem_id: int,
        command_channel: str = "",
    ) -> PostmortemView:
        """The review, if the user may read its channel; else the answer for "no such
        review"."""
        channel_id = self._access.channel_of_postmortem(
            team_id=team_id, postmortem_id=postmortem_id
        )
        if channel_id is not None and channel_id != command_channel:
            # A channel never looked up counts as private; learn it first (best effort).
            self._privacy.learn(client, team_id=team_id, channel_id=channel_id)
        viewer = self.viewer(
            client, team_id=team_id, user_id=user_id, command_channel=command_channel
        )
        return self._access.postmortem(viewer=viewer, postmortem_id=postmortem_id)

    def channel(self, client: WebClient, *, team_id: str, user_id: str, channel_id: str) -> Viewer:
        """The viewer, if they may read the channel; NotFound otherwise."""
        if not _CHANNEL_ID.fullmatch(channel_id):
            raise NotFound(NO_CHANNEL)
        self._privacy.learn(client, team_id=team_id, channel_id=channel_id)
        viewer = self.viewer(client, team_id=team_id, user_id=user_id)
        self._access.channel(viewer=viewer, channel_id=channel_id)
        return viewer
