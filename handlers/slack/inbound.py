"""The front door for Slack's HTTP requests: nothing of a request is read before it is
proven to come from Slack.

Bolt verifies signatures too, but only after it has parsed the body, and a timestamp
header that is not an integer makes its check raise, so its error handler would run on an
unverified request (and could answer a `response_url` an attacker chose). Here the order
is: size, then headers, then the HMAC over the raw bytes, and only then decoding and
parsing, each failure a 4xx that names no part of the body.
https://api.slack.com/authentication/verifying-requests-from-slack
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

# Slack's payloads stay far below this: a 40,000-character message, its rich-text blocks
# and the envelope are a few hundred KB at most.
MAX_BODY_BYTES = 1024 * 1024
# Slack's rule: a request more than five minutes old is refused (replay protection).
MAX_CLOCK_SKEW_SECONDS = 5 * 60

_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Rejection:
    status: int
    reason: str  # for the log and the response: never quotes the request


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    raw_body: str
    headers: dict[str, str]
    body: dict[str, Any]


def too_large(content_length: str | None) -> Rejection | None:
    """Refuse an oversized body from its declared length, before reading it."""
    if content_length in (None, ""):
        return None
    if not content_length.isdigit():
        return Rejection(400, "malformed Content-Length")
    if int(content_length) > MAX_BODY_BYTES:
        return Rejection(413, "request body too large")
    return None


def read_slack_request(
    headers: Mapping[str, str],
    raw: bytes,
    *,
    signing_secret: str,
    now: Callable[[], float] = time.time,
) -> VerifiedRequest | Rejection:
    """Verify, then decode and parse; `headers` keys are lower-case."""
    if len(raw) > MAX_BODY_BYTES:
        return Rejection(413, "request body too large")
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    # An integer of sane length only: `1e3`, `soon`, `-5` or 10,000 digits are refused here.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return Rejection(401, "missing or malformed request timestamp")
    if abs(now() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return Rejection(401, "stale request timestamp")
    if not signature.startswith("v0=") or not signature.isascii():
        return Rejection(401, "missing or malformed signature")
    expected = hmac.new(
        signing_secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(f"v0={expected}", signature):
        return Rejection(401, "invalid signature")

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Rejection(400, "body is not UTF-8")
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    body = _parse(text, content_type)
    if body is None:
        return Rejection(400, "malformed body")
    if not _has_slack_shape(body):
        return Rejection(400, "not a Slack payload")
    return VerifiedRequest(raw_body=text, headers=dict(headers), body=body)


def _has_slack_shape(body: dict[str, Any]) -> bool:
    """The fields Bolt's own middleware reads before any listener runs. A signed body
    without them cannot come from Slack; refusing it here keeps Bolt from failing with a
    500 (and its error handler from answering whoever the body names)."""
    if body.get("ssl_check") == "1" or body.get("type") == "url_verification":
        return True
    if "command" in body:
        return all(isinstance(body.get(key), str) for key in ("team_id", "user_id", "channel_id"))
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        return (
            isinstance(event, dict)
            and isinstance(event.get("type"), str)
            and isinstance(body.get("event_id"), str)
            and isinstance(body.get("team_id"), str)
        )
    user, team = body.get("user"), body.get("team")
    return (
        isinstance(kind, str)
        and isinstance(user, dict)
        and isinstance(user.get("id"), str)
        and (team is None or (isinstance(team, dict) and isinstance(team.get("id"), str)))
    )


def _parse(text: str, content_type: str) -> dict[str, Any] | None:
    """The body as Bolt will read it, or None when Bolt would fail on it."""
    if content_type == _JSON:
        return _json_object(text)
    if content_type != _FORM:
        return None
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError:
        return None
    if "payload" in form:
        return _json_object(form["payload"][0])
    return {key: values[0] for key, values in form.items()}


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None
    return value if isinstance(value, dict) else None
