"""The Bot Connector REST API, through the Agents SDK's ConnectorClient, called from sync code.

Every call goes to the `serviceUrl` that the conversation's activities named (stored per
tenant in models.core.addresses), with a token from `tokens`: in production the SDK's
MSAL provider for the app's Entra registration, in tests the fake connector's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import aiohttp
from microsoft_agents.activity import Activity, ChannelAccount, ConversationParameters
from microsoft_agents.hosting.core.connector.client import ConnectorClient

T = TypeVar("T")

BOT_CONNECTOR_SCOPE = "https://api.botframework.com/.default"
REQUEST_TIMEOUT_SECONDS = 30


class AccessTokens(Protocol):
    def token(self) -> str:
        """A bearer token the Bot Connector accepts from this app."""
        ...


class ConnectorError(Exception):
    """The connector answered with an error status (`retry_after`: seconds it asked for)."""

    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"bot connector answered {status}")
        self.status, self.retry_after = status, retry_after


@dataclass(frozen=True, slots=True)
class Target:
    service_url: str
    conversation_id: str


class Connector:
    def __init__(self, tokens: AccessTokens) -> None:
        self._tokens = tokens

    def send(self, target: Target, activity: dict[str, Any]) -> str:
        """Post a new message (in a channel: a new post); returns its activity id."""
        body = Activity.model_validate(activity)
        return (
            self._call(
                target.service_url,
                lambda client: client.conversations.send_to_conversation(
                    target.conversation_id, body
                ),
            ).id
            or ""
        )

    def reply(self, target: Target, reply_to: str, activity: dict[str, Any]) -> str:
        """Post in the reply chain of `reply_to`; returns the reply's activity id."""
        body = Activity.model_validate(activity)
        return (
            self._call(
                target.service_url,
                lambda client: client.conversations.reply_to_activity(
                    target.conversation_id, reply_to, body
                ),
            ).id
            or ""
        )

    def update(self, target: Target, activity_id: str, activity: dict[str, Any]) -> None:
        body = Activity.model_validate({**activity, "id": activity_id})
        self._call(
            target.service_url,
            lambda client: client.conversations.update_activity(
                target.conversation_id, activity_id, body
            ),
        )

    def member(self, target: Target, member_id: str) -> str | None:
        """The Teams id ("29:…") of `member_id` (a Teams id or an Entra object id, as a card's
        people picker gives) when they are a member of the conversation, else None."""
        try:
            account = self._call(
                target.service_url,
                lambda client: client.conversations.get_conversation_member(
                    target.conversation_id, member_id
                ),
            )
        except ConnectorError as error:
            if error.status in (400, 403, 404):
                return None
            raise
        return account.id or None

    def members(self, target: Target) -> frozenset[str]:
        """The Teams ids of a conversation's members (a standard channel's: its team's)."""
        accounts = self._call(
            target.service_url,
            lambda client: client.conversations.get_conversation_members(target.conversation_id),
        )
        return frozenset(account.id for account in accounts if account.id)

    def open_personal(self, *, service_url: str, tenant_id: str, bot_id: str, user_id: str) -> str:
        """The 1:1 conversation between the app and `user_id`; returns its id."""
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=bot_id),
            members=[ChannelAccount(id=user_id)],
            tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}},
        )
        return self._call(
            service_url, lambda client: client.conversations.create_conversation(parameters)
        ).id

    def _call(self, service_url: str, call: Callable[[ConnectorClient], Awaitable[T]]) -> T:
        token = self._tokens.token()

        async def run() -> T:
            session = aiohttp.ClientSession(
                base_url=service_url if service_url.endswith("/") else service_url + "/",
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS),
            )
            client = ConnectorClient(service_url, token, session=session)
            try:
                return await call(client)
            except aiohttp.ClientResponseError as error:
                raise ConnectorError(error.status, _seconds(error.headers)) from None
            finally:
                await client.close()

        return asyncio.run(run())


def _seconds(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


class MsalTokens:
    """Tokens for the app's Entra registration (client secret), from the SDK's MSAL
    provider, which caches them until shortly before they expire."""

    def __init__(self, *, app_id: str, password: str, tenant_id: str | None) -> None:
        from microsoft_agents.authentication.msal import MsalAuth
        from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration

        self._msal = MsalAuth(
            AgentAuthConfiguration(client_id=app_id, tenant_id=tenant_id, client_secret=password)
        )

    def token(self) -> str:
        return asyncio.run(
            self._msal.get_access_token(
                BOT_CONNECTOR_SCOPE.removesuffix("/.default"), [BOT_CONNECTOR_SCOPE]
            )
        )
