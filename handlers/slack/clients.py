"""The Web API client to use for a workspace, for everything sent outside a request: the
outbox's messages, reminders, uploads and Home tabs.

Installed in one workspace (SLACK_BOT_TOKEN), every workspace gets the one client.
Installed through OAuth in many, each workspace's bot token is looked up in the
installation store and each token gets its own client, all on the same base URL
(SLACK_API_URL) and retry handlers. A workspace with no token (uninstalled, revoked, or
never installed) raises NotInstalled: the courier records that and never retries it. A
listener answering a request keeps Bolt's `client` argument instead: Bolt chose that
one's token for the request's workspace."""

from __future__ import annotations

import threading
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot

# Errors meaning the token itself is no good any more: the workspace removed the app or
# revoked its tokens, or the token was never valid. Sending again cannot help.
TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired"})
NOT_INSTALLED = "not_installed"


class Installations(Protocol):
    """What the app needs of the installation store beyond slack_sdk's interface: a
    workspace's bot by its team id alone (a Grid workspace's rows also carry the org's
    id, which the outbox does not know), and removing all of a workspace's tokens."""

    def find_team_bot(self, team_id: str) -> Bot | None: ...

    def delete_team(self, team_id: str) -> None: ...


class NotInstalled(Exception):
    """Lessonloop holds no token for this workspace."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"no bot token for workspace {team_id}")
        self.team_id = team_id


class SlackClients:
    def __init__(self, client: WebClient, installations: Installations | None = None) -> None:
        """`client`: the one workspace's client, or, with `installations`, the template
        (base URL, retry handlers, logger) every workspace's client is made from."""
        self._client, self._installations = client, installations
        self._by_token: dict[str, WebClient] = {}
        self._lock = threading.Lock()

    @property
    def multi_workspace(self) -> bool:
        return self._installations is not None

    def for_workspace(self, team_id: str) -> WebClient:
        if self._installations is None:
            return self._client
        bot = self._installations.find_team_bot(team_id)
        token = bot.bot_token if bot is not None else None
        if not token:
            raise NotInstalled(team_id)
        with self._lock:
            client = self._by_token.get(token)
            if client is None:
                client = WebClient(
                    token=token,
                    base_url=self._client.base_url,
                    timeout=self._client.timeout,
                    retry_handlers=list(self._client.retry_handlers),
                    logger=self._client.logger,
                )
                self._by_token[token] = client
            return client

    def forget(self, team_id: str) -> None:
        """Remove the workspace's tokens (it uninstalled the app, or Slack refused them)."""
        if self._installations is None:
            return
        bot = self._installations.find_team_bot(team_id)
        self._installations.delete_team(team_id)
        if bot is not None and bot.bot_token:
            with self._lock:
                self._by_token.pop(bot.bot_token, None)
