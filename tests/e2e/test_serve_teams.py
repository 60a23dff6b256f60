"""`lessonloop serve` with the Teams front end alone, or beside Slack's, as a real process."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models.core.db import make_engine
from models.core.inbox import inbox_engine
from models.core.tables import InboundEvent
from tests.e2e.test_serve import _free_port, lessonloop
from tests.fakeconnector import APP_ID, TENANT_ID, FakeConnector
from tests.fakeslack import FakeSlack
from tests.harness import SIGNING_SECRET

pytestmark = pytest.mark.slow


def _post(url: str, body: dict[str, object], token: str) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _wait_healthy(port: int, process: object) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]  # type: ignore[attr-defined]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("/healthz never answered")


@pytest.mark.parametrize("with_slack", [False, True], ids=["teams-only", "slack-and-teams"])
def test_serve_runs_the_teams_front_end_alone_or_beside_slack(
    tmp_path: Path, with_slack: bool
) -> None:
    port = _free_port()
    with FakeConnector() as connector, FakeSlack() as slack:
        env = {
            "TEAMS_APP_ID": APP_ID,
            "TEAMS_APP_PASSWORD": "test-password",
            "TEAMS_OPENID_METADATA_URL": connector.metadata_url,
            "PORT": str(port),
            "HOST": "127.0.0.1",
        }
        if with_slack:
            env |= {
                "SLACK_BOT_TOKEN": "xoxb-test-token",
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
            }
        process = lessonloop("serve", cwd=tmp_path, env=env)
        try:
            _wait_healthy(port, process)
            url = f"http://127.0.0.1:{port}/api/messages"
            # A member joined: stored and processed, and nothing is owed to anyone.
            activity = {
                "type": "conversationUpdate",
                "id": "f:1",
                "serviceUrl": connector.service_url,
                "channelId": "msteams",
                "conversation": {"id": "19:c@thread.tacv2", "tenantId": TENANT_ID},
                "channelData": {"tenant": {"id": TENANT_ID}},
                "recipient": {"id": "28:" + APP_ID},
                "from": {"id": "29:1someone"},
            }
            assert _post(url, activity, connector.sign(expires_in=-600)) == 401
            assert _post(url, activity, connector.sign()) == 200
            slack_status = _post(f"http://127.0.0.1:{port}/slack/events", {}, "x")
            assert slack_status == (401 if with_slack else 404)
        finally:
            process.terminate()
            process.communicate(timeout=10)
    engine = make_engine(f"sqlite:///{tmp_path / 'lessonloop.db'}")
    inbox = inbox_engine(engine)  # events live beside the database (models/core/inbox.py)
    with inbox.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(InboundEvent)) == 1
    inbox.dispose()
    engine.dispose()
    assert connector.sent() == []
