"""Whether a channel is private, asked of Slack (conversations.info) and kept in the
library's `conversations` table, which decides who sees the channel's lessons.

A channel never looked up counts as private, so every surface that records lessons makes
sure its channel is known: strictly where the user waits for an answer (`/lesson`, the
message shortcuts: without the lookup the lesson would be hidden, so say why), best effort
where recording goes on regardless (`/postmortem start`, replies in a review's thread).
All of it runs in listeners, after the ack. What is learnt is kept in that table (no
in-process cache): the privacy rule reads it in SQL, and every process shares it.
https://api.slack.com/methods/conversations.info
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from models.core.errors import UserFacingError
from models.lessons.library import ChannelView, LessonLibrary

log = logging.getLogger(__name__)

NOT_IN_CHANNEL = (
    "I can't see this channel, so I can't keep its lessons private. "
    "Invite me with `/invite @Lessonloop` and try again."
)
ONLY_CHANNELS = "Lessons belong to channels, so the team can find them. Try it in a channel."


class ChannelPrivacy:
    def __init__(self, lessons: LessonLibrary) -> None:
        self._lessons = lessons

    def require(self, client: WebClient, *, team_id: str, channel_id: str) -> ChannelView:
        """The channel's privacy, looked up once a day; a UserFacingError when the channel
        is a DM or the bot cannot see it."""
        if channel_id.startswith("D"):
            raise UserFacingError(ONLY_CHANNELS)
        known = self._lessons.channel(team_id=team_id, channel_id=channel_id)
        if known is not None:
            return known
        try:
            return self._look_up(client, team_id, channel_id)
        except SlackApiError as error:
            if error.response.get("error") in ("channel_not_found", "not_in_channel"):
                raise UserFacingError(NOT_IN_CHANNEL) from error
            raise

    def learn(self, client: WebClient, *, team_id: str, channel_id: str) -> ChannelView | None:
        """Look the channel up if it is not known (or known too long ago). Failing leaves
        it unknown, which counts as private: the safe side."""
        known = self._lessons.channel(team_id=team_id, channel_id=channel_id)
        return known or self.look_up_quietly(client, team_id=team_id, channel_id=channel_id)

    def look_up_quietly(
        self, client: WebClient, *, team_id: str, channel_id: str
    ) -> ChannelView | None:
        if channel_id.startswith("D"):
            return None
        try:
            return self._look_up(client, team_id, channel_id)
        except (SlackApiError, UserFacingError) as error:
            reason = error.response.get("error") if isinstance(error, SlackApiError) else error
            log.warning("could not learn whether %s is private: %s", channel_id, reason)
            return None

    def _look_up(self, client: WebClient, team_id: str, channel_id: str) -> ChannelView:
        info = client.conversations_info(channel=channel_id)["channel"]
        if info.get("is_im") or info.get("is_mpim"):
            raise UserFacingError(ONLY_CHANNELS)
        return self._lessons.remember_channel(
            team_id=team_id,
            channel_id=channel_id,
            name=info.get("name") or channel_id,
            is_private=bool(info.get("is_private") or info.get("is_group")),
        )
