"""Sends requests to the app the way Slack does: real payload shapes, signed."""

from __future__ import annotations

import itertools
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fakeslack import TEAM_ID, FakeSlack

_counter = itertools.count(1)
# Slack's trigger ids are unique; the app keeps commands and clicks by them, so drivers in
# several processes (the ack benchmark's senders) must not repeat one another's.
_PROCESS = secrets.token_hex(6)


def new_trigger_id() -> str:
    return f"{next(_counter)}.{_PROCESS}.trigger"


_last_ts = 0.0


def now_ts() -> str:
    """A message time as Slack gives it: the current time, unique and increasing, so the
    order of replies, clicks and edits is the order the test performs them in."""
    global _last_ts
    _last_ts = max(time.time(), _last_ts + 0.000001)
    return f"{_last_ts:.6f}"


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class SlackDriver:
    def __init__(
        self, app_url: str, signing_secret: str, fake: FakeSlack, *, team_id: str = TEAM_ID
    ) -> None:
        self.app_url, self.fake = app_url, fake
        self._signing_secret = signing_secret
        self._signer = SignatureVerifier(signing_secret)
        # The workspace every request says it comes from.
        self.team_id = team_id

    def in_workspace(self, team_id: str) -> SlackDriver:
        """The same app and fake, requests from another workspace."""
        return SlackDriver(self.app_url, self._signing_secret, self.fake, team_id=team_id)

    def signed_headers(
        self,
        body: str,
        *,
        content_type: str,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """Headers as Slack sends them; `signature`/`timestamp` override, to test rejection."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        signed = self._signer.generate_signature(timestamp=str(timestamp), body=body)
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature or signed or "",
            **(headers or {}),
        }

    def post(self, body: str, *, content_type: str, **signing: Any) -> Response:
        request = urllib.request.Request(
            f"{self.app_url}/slack/events",
            data=body.encode(),
            method="POST",
            headers=self.signed_headers(body, content_type=content_type, **signing),
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Response(response.status, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read())

    def command(
        self, text: str, *, user: str, channel: str, command: str = "/postmortem"
    ) -> Response:
        form = {
            "token": "legacy-unused",
            "team_id": self.team_id,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "incidents",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0LESSON",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(f"command-{next(_counter)}"),
            "trigger_id": new_trigger_id(),
        }
        return self.post(urlencode(form), content_type="application/x-www-form-urlencoded")

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> Response:
        envelope = {
            "token": "legacy-unused",
            "team_id": self.team_id,
            "api_app_id": "A0LESSON",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_counter):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": self.team_id,
                    "user_id": "UBOT0001",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(envelope), content_type="application/json", headers=headers)

    def reply(
        self,
        text: str,
        *,
        user: str,
        channel: str,
        thread_ts: str,
        ts: str | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> tuple[str, str, Response]:
        ts = ts or now_ts()
        event_id = event_id or f"Ev{next(_counter):08d}"
        event = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "event_ts": ts,
            "channel_type": "channel",
            "team": self.team_id,
        }
        response = self.event(event, event_id=event_id, retry_num=retry_num)
        return ts, event_id, response

    def edit(self, text: str, *, user: str, channel: str, thread_ts: str, ts: str) -> Response:
        return self.event(
            {
                "type": "message",
                "subtype": "message_changed",
                "channel": channel,
                "hidden": True,
                "ts": (edited_at := now_ts()),
                "event_ts": edited_at,
                "message": {
                    "type": "message",
                    "user": user,
                    "text": text,
                    "ts": ts,
                    "thread_ts": thread_ts,
                    "edited": {"user": user, "ts": edited_at},
                },
                "previous_message": {"type": "message", "user": user, "text": "", "ts": ts},
                "channel_type": "channel",
            }
        )

    def delete(self, *, channel: str, thread_ts: str, ts: str) -> Response:
        return self.event(
            {
                "type": "message",
                "subtype": "message_deleted",
                "channel": channel,
                "hidden": True,
                "deleted_ts": ts,
                "ts": (deleted_at := now_ts()),
                "event_ts": deleted_at,
                "previous_message": {
                    "type": "message",
                    "text": "",
                    "ts": ts,
                    "thread_ts": thread_ts,
                },
                "channel_type": "channel",
            }
        )

    def block_actions(
        self, action: dict[str, Any], *, user: str, container: dict[str, Any], **extra: Any
    ) -> Response:
        """block_actions as Slack sends it, from a message (`container` of type "message")
        or a view such as the Home tab (type "view", no response_url)."""
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "api_app_id": "A0LESSON",
            "token": "legacy-unused",
            "container": container,
            "trigger_id": new_trigger_id(),
            "team": {"id": self.team_id, "domain": "fake"},
            **extra,
            "actions": [{**action, "action_ts": now_ts()}],
        }
        return self.post(
            urlencode({"payload": json.dumps(payload)}),
            content_type="application/x-www-form-urlencoded",
        )

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str,
        channel: str,
        message_ts: str,
        thread_ts: str | None = None,
        ephemeral: bool = False,
        block_id: str = "b1",
    ) -> Response:
        """A button on a message (or an ephemeral message) in `channel`."""
        return self.block_actions(
            {
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "type": "button",
                "text": {"type": "plain_text", "text": "x"},
            },
            user=user,
            container={
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
                "thread_ts": thread_ts,
            },
            channel={"id": channel, "name": "incidents"},
            message={"type": "message", "ts": message_ts, "thread_ts": thread_ts},
            response_url=self.fake.response_url(f"action-{next(_counter)}"),
        )

    def submit_view(
        self, view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str
    ) -> Response:
        """Submit `view` (as the app opened it) with `values` keyed by block id; each value
        is the element's state, e.g. {"type": "users_select", "selected_user": "U1"}."""
        state = {block_id: {block_id: value} for block_id, value in values.items()}
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "api_app_id": "A0LESSON",
            "token": "legacy-unused",
            "trigger_id": new_trigger_id(),
            "view": {
                **view,
                "id": "V0001",
                "team_id": self.team_id,
                "state": {"values": state},
                "hash": "h",
            },
            "response_urls": [],
        }
        return self.post(
            urlencode({"payload": json.dumps(payload)}),
            content_type="application/x-www-form-urlencoded",
        )
