"""POST /api/messages: verify the Bot Connector's token, store the activity, answer 200.

Nothing of a request is acted on before its token is verified: the body is only parsed to
find the serviceUrl the token must name. A verified activity is stored in the inbox (keyed
by its id, so a redelivery is dropped) and processed by the workers after the answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from handlers.teams.activities import is_addressed, is_reply, tenant_of
from handlers.teams.auth import ActivityVerifier, NotVerified
from models.core.inbox import Inbox
from models.core.references import REF_LENGTH, Platform

log = logging.getLogger(__name__)

# Kinds a listener uses; anything else (typing, reactions) is answered and dropped.
KEPT = frozenset({"message", "messageUpdate", "messageDelete", "conversationUpdate"})


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, str]


class TeamsEndpoint:
    def __init__(
        self,
        verifier: ActivityVerifier,
        inbox: Inbox,
        wake: Callable[[], None],
        *,
        tenant_id: str | None = None,
    ) -> None:
        """`tenant_id`: a single-tenant app's tenant; activities from any other are refused."""
        self._verifier, self._inbox, self._wake = verifier, inbox, wake
        self._tenant = tenant_id.lower() if tenant_id else None

    def receive(self, headers: Mapping[str, str], raw: bytes) -> Answer:
        try:
            activity = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return Answer(400, {"error": "not JSON"})
        if not isinstance(activity, dict) or not isinstance(activity.get("serviceUrl"), str):
            return Answer(400, {"error": "not an activity"})
        try:
            self._verifier.verify(headers.get("authorization"), service_url=activity["serviceUrl"])
        except NotVerified as refused:
            log.warning("refused an activity: %s", refused)
            return Answer(401, {"error": "unauthorized"})
        if self._tenant is not None and tenant_of(activity).lower() != self._tenant:
            log.warning("refused an activity from another tenant")
            return Answer(403, {"error": "forbidden"})
        kind, activity_id = activity.get("type"), activity.get("id")
        if (
            kind in KEPT
            and isinstance(activity_id, str)
            and activity_id
            and worth_keeping(activity)
        ):
            self._inbox.store(
                platform=Platform.TEAMS,
                event_id=event_key(activity)[:REF_LENGTH],
                team_id=tenant_of(activity)[:REF_LENGTH],
                body=activity,
            )
            self._wake()
        return Answer(200, {})


def worth_keeping(activity: dict[str, Any]) -> bool:
    """Only what a listener can use: replies (a review's answers), edits and deletions,
    what is addressed to the app, and membership changes. A busy channel's other posts
    (Teams sends them all to an app with the ChannelMessage.Read.Group permission) are
    answered and dropped without touching the database."""
    if activity.get("type") != "message":
        return True
    return is_reply(activity) or is_addressed(activity)


def event_key(activity: dict[str, Any]) -> str:
    """A message's id is the event; an edit or deletion reuses the message's id, so its
    kind and time make it an event of its own."""
    if activity.get("type") == "message":
        return str(activity["id"])
    return f"{activity.get('type')}:{activity['id']}:{activity.get('timestamp', '')}"
