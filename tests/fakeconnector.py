"""A fake Bot Connector service on loopback: it signs the tokens activities arrive with
(and publishes the OpenID configuration and key set that verify them), issues the bot's
own access token, and records what the bot sends back at the serviceUrl (new posts,
replies, updates, 1:1 conversations). Failures can be queued to test throttling."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

APP_ID = "00000000-0000-4000-8000-00000000a99a"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT_ID = "28:" + APP_ID
ISSUER = "https://api.botframework.com"
BOT_TOKEN = "fake-connector-bot-token"


@dataclass
class Sent:
    """One call the bot made: `kind` is send, reply, update or create."""

    kind: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    id: str = ""

    @property
    def card(self) -> dict[str, Any]:
        return dict(self.body["attachments"][0]["content"])

    def card_text(self) -> str:
        return "\n".join(_texts(self.card))


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "title") and isinstance(value, str):
                yield value
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


@dataclass
class _State:
    sent: list[Sent] = field(default_factory=list)
    # Who is in the team: an Entra object id or a Teams id -> the Teams id.
    members: dict[str, str] = field(default_factory=dict)
    # Conversation -> the Teams ids of its members (for the roster call).
    rosters: dict[str, set[str]] = field(default_factory=dict)
    roster_calls: int = 0
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    unauthorised: int = 0


class FakeConnector:
    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = "fake-key-1"
        self._state = _State()
        self._changed = threading.Condition()
        self._ids = itertools.count(1_700_000_000_000)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeConnector:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def service_url(self) -> str:
        return self.url + "/teams/"

    @property
    def metadata_url(self) -> str:
        return self.url + "/openid-configuration"

    def sign(
        self,
        *,
        service_url: str | None = None,
        audience: str = APP_ID,
        expires_in: int = 3600,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        """A token as the Bot Connector sends with an activity."""
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "serviceurl": service_url or self.service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + expires_in,
        }
        return jwt.encode(claims, key or self._key, algorithm="RS256", headers={"kid": self._kid})

    def token(self) -> str:
        """The bot's own access token (what MSAL gets from Entra in production)."""
        return BOT_TOKEN

    def add_member(self, teams_id: str, object_id: str, *, of: tuple[str, ...] = ()) -> None:
        """`teams_id` is in the team, and in the rosters of conversations `of`."""
        with self._changed:
            self._state.members[teams_id] = self._state.members[object_id] = teams_id
            for conversation in of:
                self._state.rosters.setdefault(conversation, set()).add(teams_id)

    @property
    def roster_calls(self) -> int:
        return self._state.roster_calls

    def fail_next(self, status: int, headers: dict[str, str] | None = None) -> None:
        with self._changed:
            self._state.failures.append((status, headers or {}))

    def sent(self) -> list[Sent]:
        with self._changed:
            return list(self._state.sent)

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[Sent]:
        """Wait until at least `count` calls were received; returns them all."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._state.sent) >= count, timeout):
                raise AssertionError(f"expected {count} calls, got {self._state.sent}")
            return list(self._state.sent)

    def wait_for_reply(self, activity_id: str, *, after: int = 0, timeout: float = 10.0) -> Sent:
        """The first call from the `after`-th on that answers activity `activity_id`: what
        the app owed about earlier activities may arrive in between."""

        def reply() -> Sent | None:
            answers = (s for s in self._state.sent[after:] if s.activity_id == activity_id)
            return next(answers, None)

        with self._changed:
            if not self._changed.wait_for(lambda: reply() is not None, timeout):
                raise AssertionError(f"no reply to {activity_id}: {self._state.sent[after:]}")
            answer = reply()
            assert answer is not None
            return answer

    @property
    def unauthorised(self) -> int:
        return self._state.unauthorised

    def _jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**public, "kid": self._kid, "use": "sig", "alg": "RS256"}]}

    def _receive(
        self, method: str, path: str, auth: str, body: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        if method == "GET" and path == "/openid-configuration":
            return 200, {"issuer": ISSUER, "jwks_uri": self.url + "/keys"}, {}
        if method == "GET" and path == "/keys":
            return 200, self._jwks(), {}
        if auth != f"Bearer {BOT_TOKEN}":
            with self._changed:
                self._state.unauthorised += 1
            return 401, {"error": "unauthorised"}, {}
        with self._changed:
            if self._state.failures:
                status, headers = self._state.failures.pop(0)
                return status, {"error": {"code": "Throttled"}}, headers
        roster = re.fullmatch(r"/teams/v3/conversations/([^/]+)/members", path)
        if method == "GET" and roster is not None:
            with self._changed:
                self._state.roster_calls += 1
                ids = sorted(self._state.rosters.get(_unquote(roster[1]), set()))
            return 200, [{"id": member} for member in ids], {}
        member = re.fullmatch(r"/teams/v3/conversations/[^/]+/members/([^/]+)", path)
        if method == "GET" and member is not None:
            with self._changed:
                found = self._state.members.get(_unquote(member[1]))
            if found is None:
                return 404, {"error": {"code": "MemberNotFoundInConversation"}}, {}
            return 200, {"id": found}, {}
        match = re.fullmatch(r"/teams/v3/conversations(?:/([^/]+)/activities(?:/([^/]+))?)?", path)
        if match is None:
            return 404, {"error": "not found"}, {}
        conversation, activity = match[1], match[2]
        if conversation is None:
            kind, new_id = "create", "a:" + uuid.uuid4().hex
        elif method == "PUT":
            kind, new_id = "update", activity or ""
        else:
            kind, new_id = ("reply" if activity else "send"), str(next(self._ids))
        with self._changed:
            self._state.sent.append(
                Sent(
                    kind=kind,
                    conversation_id=_unquote(conversation or ""),
                    activity_id=activity,
                    body=body,
                    id=new_id,
                )
            )
            self._changed.notify_all()
        return (201 if kind == "create" else 200), {"id": new_id}, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                path = self.path.split("?", 1)[0]
                status, answer, headers = fake._receive(
                    method, path, self.headers.get("Authorization", ""), body
                )
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PUT(self) -> None:
                self._serve("PUT")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)
