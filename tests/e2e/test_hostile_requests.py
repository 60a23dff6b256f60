"""Requests an attacker could send: nothing of them is acted on, logged or answered to a URL
before the signature is verified, and a malformed body is a 4xx, never a 500."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from models.postmortems.tables import Postmortem
from tests.harness import SIGNING_SECRET, AppHarness
from tests.slackdriver import Response

CHANNEL, USER = "C0SECRET", "U0VICTIM"


def command_body(app: AppHarness, text: str = "start Stolen review") -> str:
    return urlencode(
        {
            "team_id": "T0LESSON",
            "channel_id": CHANNEL,
            "user_id": USER,
            "command": "/postmortem",
            "text": text,
            "response_url": app.fake.response_url("attacker"),
            "trigger_id": "t1",
        }
    )


def raw_post(app: AppHarness, body: bytes, headers: dict[str, str]) -> Response:
    request = urllib.request.Request(
        f"{app.driver.app_url}/slack/events", data=body, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Response(response.status, response.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read())


def outbound_calls(app: AppHarness) -> list[str]:
    """Every call the app made to Slack or to a response_url, apart from start-up."""
    return [call.method for call in app.fake.calls if call.method != "auth.test"]


def assert_untouched(app: AppHarness) -> None:
    time.sleep(0.3)  # listeners run after the response: give a wrongly accepted one time
    assert outbound_calls(app) == []
    with app.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Postmortem)) == 0
    assert app.services.inbox.stored_count() == 0


BAD_TIMESTAMPS = ["soon", "1e3", "", "-5", " 1", "1" * 40, "17²", "0x10", "1.5", "None"]


@pytest.mark.parametrize("timestamp", BAD_TIMESTAMPS)
def test_malformed_timestamp_is_refused_without_any_effect(
    sqlite_app: AppHarness, timestamp: str
) -> None:
    body = command_body(sqlite_app)
    response = raw_post(
        sqlite_app,
        body.encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
    )
    assert response.status == 401
    assert_untouched(sqlite_app)


@pytest.mark.parametrize(
    "signing",
    [
        {"signature": "v0=" + "0" * 64},
        {"signature": "garbage"},
        {"signature": "v0=ünïcode"},
        # Seconds from now. Slack's limit is 300; a minute's margin, as the request takes
        # time to arrive and `now` here is truncated to the second.
        {"timestamp": -360},
        {"timestamp": +360},
    ],
)
def test_bad_or_stale_signature_is_refused_without_any_effect(
    sqlite_app: AppHarness, signing: dict[str, object]
) -> None:
    if isinstance(skew := signing.get("timestamp"), int):
        signing = {"timestamp": int(time.time()) + skew}
    response = sqlite_app.driver.post(
        command_body(sqlite_app), content_type="application/x-www-form-urlencoded", **signing
    )
    assert response.status == 401
    assert_untouched(sqlite_app)


def test_missing_signature_headers_are_refused(sqlite_app: AppHarness) -> None:
    response = raw_post(
        sqlite_app,
        command_body(sqlite_app).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 401
    assert_untouched(sqlite_app)


MALFORMED = [
    ("application/json", b"{not json"),
    ("application/json", b"[1,2,3]"),
    ("application/json", b"null"),
    ("application/json", b"42"),
    ("application/json", b'"text"'),
    ("application/json", b"[" * 100_000),
    ("application/x-www-form-urlencoded", b"payload=not-json"),
    ("application/x-www-form-urlencoded", b"payload=%5B1%5D"),
    ("application/x-www-form-urlencoded", b"payload=null"),
    ("application/x-www-form-urlencoded", b"\xff\xfe\xfa"),
    ("application/json", b'{"a": "\xff"}'),
    ("text/plain", b"hello"),
    ("application/x-www-form-urlencoded", b"a=%ZZ&&=&"),
]


@pytest.mark.parametrize(("content_type", "body"), MALFORMED)
def test_malformed_body_is_refused_unsigned_and_signed(
    sqlite_app: AppHarness, content_type: str, body: bytes
) -> None:
    unsigned = raw_post(
        sqlite_app,
        body,
        {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=" + "1" * 64,
        },
    )
    timestamp = str(int(time.time()))
    mac = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    signed = raw_post(
        sqlite_app,
        body,
        {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": f"v0={mac.hexdigest()}",
        },
    )
    assert unsigned.status == 401
    assert signed.status == 400
    assert_untouched(sqlite_app)


def test_an_oversized_unsigned_body_is_refused_and_not_logged(
    sqlite_app: AppHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    marker = "ATTACKER-TEXT-"
    body = (command_body(sqlite_app) + "&x=" + marker * 400_000).encode()  # about 5.6 MB
    try:
        response = raw_post(
            sqlite_app,
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": "soon",
                "X-Slack-Signature": "v0=x",
            },
        )
        assert response.status == 413
    except (ConnectionError, urllib.error.URLError):
        pass  # waitress may close the connection while the client is still sending
    assert_untouched(sqlite_app)
    assert marker not in caplog.text


def test_an_unsigned_request_leaves_no_part_of_its_body_in_the_log(
    sqlite_app: AppHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = command_body(sqlite_app, text="start SECRET-TITLE-IN-BODY")
    sqlite_app.driver.post(
        body, content_type="application/x-www-form-urlencoded", signature="v0=" + "0" * 64
    )
    assert "SECRET-TITLE-IN-BODY" not in caplog.text
    assert "refused POST /slack/events" in caplog.text


def test_an_unsigned_event_is_not_stored(sqlite_app: AppHarness) -> None:
    envelope = {
        "type": "event_callback",
        "team_id": "T0LESSON",
        "event_id": "EvForged",
        "event": {"type": "message", "channel": CHANNEL, "user": USER, "text": "x", "ts": "1.2"},
    }
    response = sqlite_app.driver.post(
        json.dumps(envelope), content_type="application/json", signature="v0=" + "0" * 64
    )
    assert response.status == 401
    assert_untouched(sqlite_app)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_on_the_slack_path_are_refused(sqlite_app: AppHarness, method: str) -> None:
    request = urllib.request.Request(f"{sqlite_app.driver.app_url}/slack/events", method=method)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405
    assert_untouched(sqlite_app)


ODD_SHAPES = [
    ("application/json", {"type": "event_callback", "event": "text"}),
    ("application/json", {"type": "event_callback", "event": {"type": "message"}}),
    ("application/json", {"type": "event_callback", "event_id": 7, "event": {"type": "x"}}),
    ("application/json", {"type": 5}),
    ("application/json", {}),
    ("payload", {"type": "block_actions"}),
    ("payload", {"type": "block_actions", "user": "U0VICTIM"}),
    ("payload", {"type": "view_submission", "user": {"id": 5}}),
    ("payload", {"type": "block_actions", "user": {"id": USER}, "team": "T0LESSON"}),
    ("form", {"command": "/postmortem", "text": "help"}),
    ("form", {"command": "/postmortem", "user_id": USER, "channel_id": CHANNEL}),
]


@pytest.mark.parametrize(("encoding", "shape"), ODD_SHAPES)
def test_a_signed_body_not_shaped_like_slacks_is_refused(
    sqlite_app: AppHarness, encoding: str, shape: dict[str, object]
) -> None:
    """Even signed (a leaked secret, a bug at Slack), a body Bolt would fail on gets a 400
    and no reply to anyone it names."""
    shape = {**shape, "response_url": sqlite_app.fake.response_url("attacker")}
    if encoding == "application/json":
        body, content_type = json.dumps(shape), "application/json"
    elif encoding == "payload":
        body = urlencode({"payload": json.dumps(shape)})
        content_type = "application/x-www-form-urlencoded"
    else:
        body = urlencode({k: str(v) for k, v in shape.items()})
        content_type = "application/x-www-form-urlencoded"
    response = sqlite_app.driver.post(body, content_type=content_type)
    assert response.status == 400
    assert_untouched(sqlite_app)
