"""The Web API client to use for a workspace, for everything sent outside a request: the
outbox's messages, reminders, uploads and Home tabs.

One bot token serves the one installed workspace today, so every workspace gets the same
client. With installs in many workspaces this becomes the place that looks up the
workspace's bot token and keeps a client per token; its callers already name the
workspace. A listener answering a request keeps Bolt's `client` argument instead: Bolt
chose that one's token for the request's workspace."""

from __future__ import annotations

from slack_sdk import WebClient


class SlackClients:
    def __init__(self, client: WebClient) -> None:
        self._client = client

    def for_workspace(self, team_id: str) -> WebClient:
        return self._client
