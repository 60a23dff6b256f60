"""The front door reads any bytes and any headers without raising: each request is
either verified and parsed, or refused with a 4xx and a reason that quotes none of it."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.slack.inbound import (
    MAX_BODY_BYTES,
    Rejection,
    VerifiedRequest,
    read_slack_request,
    too_large,
)

SECRET = "front-door-secret"
NOW = 1_800_000_000


def signed(body: bytes, timestamp: str = str(NOW)) -> dict[str, str]:
    mac = hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return {"x-slack-request-timestamp": timestamp, "x-slack-signature": f"v0={mac.hexdigest()}"}


def read(headers: dict[str, str], body: bytes) -> VerifiedRequest | Rejection:
    return read_slack_request(headers, body, signing_secret=SECRET, now=lambda: float(NOW))


UNSIGNED_REASONS = {
    "missing or malformed request timestamp",
    "stale request timestamp",
    "missing or malformed signature",
    "invalid signature",
}
header_text = st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=80)


@settings(max_examples=300, deadline=None)
@given(
    timestamp=header_text,
    signature=header_text,
    content_type=header_text,
    body=st.binary(max_size=2000),
)
def test_any_unsigned_request_is_refused_with_a_401(
    timestamp: str, signature: str, content_type: str, body: bytes
) -> None:
    outcome = read(
        {
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": signature,
            "content-type": content_type,
        },
        body,
    )
    assert isinstance(outcome, Rejection) and outcome.status == 401
    assert outcome.reason in UNSIGNED_REASONS  # fixed words: nothing of the request


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    value=json_values,
    content_type=st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "text/plain", ""]
    ),
    as_payload=st.booleans(),
)
def test_any_signed_body_is_parsed_or_refused_with_a_400_never_raises(
    value: object, content_type: str, as_payload: bool
) -> None:
    text = json.dumps(value)
    body = (f"payload={text}" if as_payload else text).encode()
    outcome = read({**signed(body), "content-type": content_type}, body)
    if isinstance(outcome, Rejection):
        assert outcome.status == 400
    else:
        assert isinstance(outcome.body, dict)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=3000))
def test_signed_random_bytes_never_raise(body: bytes) -> None:
    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        outcome = read({**signed(body), "content-type": content_type}, body)
        assert isinstance(outcome, Rejection | VerifiedRequest)
        if isinstance(outcome, Rejection):
            assert outcome.status == 400


def test_a_signed_command_is_verified_and_parsed() -> None:
    body = b"command=%2Fpostmortem&text=help&team_id=T1&user_id=U1&channel_id=C1"
    outcome = read({**signed(body), "content-type": "application/x-www-form-urlencoded"}, body)
    assert isinstance(outcome, VerifiedRequest)
    assert outcome.body["text"] == "help"


def test_a_request_signed_five_minutes_ago_or_more_is_refused() -> None:
    body = b"{}"
    stale = str(NOW - 301)
    outcome = read({**signed(body, stale), "content-type": "application/json"}, body)
    assert isinstance(outcome, Rejection) and outcome.status == 401


def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    assert too_large(str(MAX_BODY_BYTES + 1)) == Rejection(413, "request body too large")
    assert too_large("12abc") == Rejection(400, "malformed Content-Length")
    assert too_large(str(MAX_BODY_BYTES)) is None and too_large(None) is None


def test_the_current_time_is_used_by_default() -> None:
    body = b"{}"
    headers = {**signed(body, str(int(time.time()))), "content-type": "application/json"}
    outcome = read_slack_request(headers, body, signing_secret=SECRET)
    assert isinstance(outcome, Rejection) and outcome.reason == "not a Slack payload"
