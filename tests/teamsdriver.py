"""The real server with only the Teams front end, and activities sent to it the way the
Bot Connector sends them: Teams' shapes, with a token the fake connector signed."""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from waitress.server import create_server

from bot.config import load_settings
from bot.server import SERVER_OPTIONS, make_wsgi_app
from bot.teams import create_teams
from handlers.teams.app import TeamsApp
from models.core.clock import Clock
from models.core.db import make_engine
from models.services import Services
from tests.fakeconnector import APP_ID, BOT_ID, TENANT_ID, FakeConnector
from tests.harness import _drop_connections

CHANNEL = "19:4a1f3c9e0d2b4c7a9e5f1b3d7c9a2e4f@thread.tacv2"
TEAM = "19:0b6e8d2f4a1c3e5b7d9f1a3c5e7b9d1f@thread.tacv2"
_ids = itertools.count(int(time.time() * 1000))
_last = 0.0


def now_stamp() -> str:
    """An activity time as Teams gives it, unique and increasing."""
    global _last
    _last = max(time.time(), _last + 0.001)
    return (
        datetime.fromtimestamp(_last, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


@dataclass(frozen=True)
class Person:
    id: str
    name: str

    @property
    def object_id(self) -> str:
        """Their Entra object id, a GUID (derived from their Teams id, in these tests)."""
        return str(uuid.uuid5(uuid.NAMESPACE_OID, self.id))

    def mention(self) -> tuple[str, dict[str, Any]]:
        text = f"<at>{self.name}</at>"
        return text, {
            "type": "mention",
            "text": text,
            "mentioned": {"id": self.id, "name": self.name},
        }


BOT = Person(BOT_ID, "Lessonloop")


class TeamsHarness:
    def __init__(self, database_url: str, clock: Clock) -> None:
        self.database_url, self.clock = database_url, clock
        self.fake = FakeConnector()
        self._server: Any = None
        self._app: Any = None
        self._thread: threading.Thread | None = None
        self.teams: TeamsApp | None = None
        self.services: Services | None = None

    def __enter__(self) -> TeamsHarness:
        self.fake.__enter__()
        # Bound first, so the documents' links can name the port it got.
        self._server = create_server(
            lambda environ, start_response: self._app(environ, start_response),
            host="127.0.0.1",
            port=0,
            threads=4,
            **SERVER_OPTIONS,
        )
        settings = load_settings(
            {
                "TEAMS_APP_ID": APP_ID,
                "TEAMS_APP_PASSWORD": "test-password",
                "TEAMS_TENANT_ID": TENANT_ID,
                "TEAMS_OPENID_METADATA_URL": self.fake.metadata_url,
                "DATABASE_URL": self.database_url,
                "LESSONLOOP_PUBLIC_URL": self.base_url,
            },
            env_file=None,
        )
        engine = make_engine(self.database_url)
        self.services = Services.build(engine, self.clock)
        self.teams = create_teams(settings, self.services, tokens=self.fake)
        self._app = make_wsgi_app(
            None,
            engine,
            signing_secret="",
            teams=self.teams.endpoint,
            teams_documents=self.teams.documents,
        )
        self.teams.inbox.start()
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.teams is not None and self.services is not None
        # As tests/harness.py stops waitress: its own loop drops the connections and ends.
        server, thread = self._server, self._thread
        assert thread is not None
        server.trigger.pull_trigger(lambda: _drop_connections(server))
        thread.join(timeout=60)
        assert not thread.is_alive(), "waitress's loop did not end"
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=60)
        server.trigger.close()
        self.teams.inbox.stop()
        self.services.engine.dispose()
        self.fake.__exit__()

    @property
    def url(self) -> str:
        return f"{self.base_url}/api/messages"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.effective_port}"

    def post(self, activity: dict[str, Any], *, token: str | None = None) -> int:
        """POST an activity; returns the HTTP status."""
        token = self.fake.sign() if token is None else token
        request = urllib.request.Request(
            self.url,
            data=json.dumps(activity).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def message(
        self,
        text: str,
        *,
        by: Person,
        root: str | None = None,
        mentions: tuple[Person, ...] = (),
        value: dict[str, Any] | None = None,
        reply_to: str | None = None,
        channel: str = CHANNEL,
    ) -> dict[str, Any]:
        """A channel message as Teams sends it: a new post (addressed to the app with its
        mention) when `root` is None, else a reply in `root`'s chain."""
        activity_id = str(next(_ids))
        entities = [person.mention()[1] for person in mentions]
        if root is None:
            at, entity = BOT.mention()
            text, entities = f"{at} {text}", [entity, *entities]
        body: dict[str, Any] = {
            "type": "message",
            "id": activity_id,
            "timestamp": now_stamp(),
            "serviceUrl": self.fake.service_url,
            "channelId": "msteams",
            "from": {"id": by.id, "name": by.name, "aadObjectId": by.object_id},
            "conversation": {
                "isGroup": True,
                "conversationType": "channel",
                "tenantId": TENANT_ID,
                "id": f"{channel};messageid={root or activity_id}",
            },
            "recipient": {"id": BOT_ID, "name": BOT.name},
            "textFormat": "plain",
            "text": f"<p>{text}</p>" if text else "",
            "entities": entities,
            "channelData": {
                "teamsChannelId": channel,
                "teamsTeamId": TEAM,
                "channel": {"id": channel},
                "team": {"id": TEAM},
                "tenant": {"id": TENANT_ID},
            },
        }
        if value is not None:
            body["value"] = value
        if reply_to is not None:
            body["replyToId"] = reply_to
        return body

    def wait_until_processed(self, *, timeout: float = 10.0) -> None:
        """Wait until every stored activity has been processed."""
        assert self.services is not None
        deadline = time.monotonic() + timeout
        while self.services.inbox.pending_count():
            assert time.monotonic() < deadline, "activities still pending"
            time.sleep(0.01)

    def send(self, activity: dict[str, Any]) -> dict[str, Any]:
        status = self.post(activity)
        assert status == 200, status
        return activity
