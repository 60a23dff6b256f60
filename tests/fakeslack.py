"""A stateful fake of the Slack Web API on loopback.

Accepts what slack_sdk sends (JSON bodies, form bodies, query strings, empty auth.test
bodies), records every call, assigns message timestamps, keeps posted messages so
updates can be checked, serves `response_url`s, and can be told to answer 429 with
Retry-After or `ok: false` for the next calls of a method.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0TEAM01"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    # The bearer token the call carried (Authorization header), None without one.
    token: str | None = None


@dataclass
class Grant:
    """What oauth.v2.access answers for one authorisation code (issue 17)."""

    team_id: str
    team_name: str
    bot_token: str
    installer: str = "U0INSTALLER"
    enterprise_id: str | None = None
    org_wide: bool = False
    scopes: str = "channels:history,chat:write,commands"


@dataclass
class UploadedFile:
    """A file sent through files.getUploadURLExternal, its upload URL and
    files.completeUploadExternal (what slack_sdk's files_upload_v2 does)."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None


@dataclass
class FakeChannel:
    name: str
    private: bool
    members: set[str]


@dataclass
class Failure:
    status: int
    error: str | None
    retry_after: int | None
    succeed_first: int = 0  # calls answered normally before this failure comes


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.files: dict[str, UploadedFile] = {}
        self._failures: dict[str, list[Failure]] = {}
        self._holds: dict[str, tuple[int, threading.Event]] = {}
        self._waiting: dict[str, int] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        # Issue 4: channels the fake workspace has, for conversations.info and
        # users.conversations. Unknown ids answer channel_not_found, as for a private
        # channel the bot is not in.
        self.channels: dict[str, FakeChannel] = {}
        # Issue 10: people users.info answers user_not_found for, and the path of every
        # response_url request (so a test can tell which URL the app followed).
        self.missing_users: set[str] = set()
        # People users.info calls workspace admins (`is_admin`); everyone else is not.
        self.admins: set[str] = set()
        # Issue 16: emails users.info shows (`profile.email`, scope users:read.email).
        self.emails: dict[str, str] = {}
        self.response_paths: list[str] = []
        # Issue 17: authorisation codes oauth.v2.access accepts (one use each), the
        # workspace each bot token belongs to (auth.test answers with it), and tokens
        # Slack no longer accepts (every call with one answers `token_revoked`).
        self.grants: dict[str, Grant] = {}
        self.token_teams: dict[str, str] = {}
        self.revoked_tokens: set[str] = set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.root}/api/"

    def response_url(self, name: str = "r") -> str:
        return f"{self.root}/response/{name}"

    def fail_next(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        after: int = 0,
    ) -> None:
        """Fail the next `times` calls of `method`, once `after` more have succeeded."""
        with self._lock:
            self._failures.setdefault(method, []).extend(
                Failure(status, error, retry_after, after if n == 0 else 0) for n in range(times)
            )

    def hold(self, method: str, *, after: int) -> None:
        """Answer `after` more calls of `method`, then keep later callers waiting, as a
        hung Slack would; `drop_held` ends it. Held calls are not recorded."""
        with self._lock:
            answered = sum(1 for call in self.calls if call.method == method)
            self._holds[method] = (answered + after, threading.Event())

    def drop_held(self, method: str) -> None:
        """Stop holding; callers still waiting get a 503 (their process is usually gone)."""
        with self._lock:
            _, released = self._holds.pop(method)
        released.set()

    def waiting(self, method: str) -> bool:
        with self._lock:
            return method in self._holds and self._waiting.get(method, 0) > 0

    def add_channel(
        self, channel_id: str, name: str, *, private: bool = False, members: tuple[str, ...] = ()
    ) -> None:
        with self._lock:
            self.channels[channel_id] = FakeChannel(name, private, set(members))

    def grant(self, code: str, grant: Grant) -> None:
        with self._lock:
            self.grants[code] = grant
            self.token_teams[grant.bot_token] = grant.team_id

    def calls_with_tokens(self) -> list[Call]:
        with self._lock:
            return list(self.calls)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [call.params for call in self.calls if call.method == method]

    def posts_in_thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        return [
            p
            for p in self.calls_to("chat.postMessage")
            if p.get("channel") == channel and p.get("thread_ts") == thread_ts
        ]

    def shared_files(self, channel: str, thread_ts: str | None = None) -> list[UploadedFile]:
        """Files completed into `channel` (and that thread, when given), in upload order."""
        with self._lock:
            return [
                f
                for f in self.files.values()
                if f.channel == channel and (thread_ts is None or f.thread_ts == thread_ts)
            ]

    def wait_for(
        self, predicate: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition"
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.01)
        raise AssertionError(f"timed out waiting for {what}")

    def _answer(
        self, method: str, params: dict[str, Any], token: str | None = None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            hold = self._holds.get(method)
            answered = sum(1 for call in self.calls if call.method == method)
            held = hold is not None and answered >= hold[0]
            if held:
                self._waiting[method] = self._waiting.get(method, 0) + 1
        if held and hold is not None:
            hold[1].wait(timeout=120)
            with self._lock:
                self._waiting[method] -= 1
            return 503, {}, {"ok": False, "error": "service_unavailable"}
        with self._lock:
            self.calls.append(Call(method, params, token=token))
            if token is not None and token in self.revoked_tokens:
                return 200, {}, {"ok": False, "error": "token_revoked"}
            if method == "oauth.v2.access":
                return 200, {}, self._oauth_access(params)
            failures = self._failures.get(method)
            if failures and failures[0].succeed_first:
                failures[0].succeed_first -= 1
            elif failures:
                failure = failures.pop(0)
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
                body = {"ok": False, "error": failure.error or "ratelimited"}
                return failure.status, headers, body
            return 200, {}, self._ok(method, params, token)

    def _oauth_access(self, params: dict[str, Any]) -> dict[str, Any]:
        grant = self.grants.pop(str(params.get("code")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        enterprise = {"id": grant.enterprise_id, "name": "Org"} if grant.enterprise_id else None
        return {
            "ok": True,
            "app_id": "A0LESSON",
            "authed_user": {"id": grant.installer},
            "scope": grant.scopes,
            "token_type": "bot",
            "access_token": grant.bot_token,
            "bot_user_id": BOT_USER_ID,
            "team": None if grant.org_wide else {"id": grant.team_id, "name": grant.team_name},
            "enterprise": enterprise,
            "is_enterprise_install": grant.org_wide,
        }

    def _ok(self, method: str, params: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        match method:
            case "auth.test":
                return {
                    "ok": True,
                    "url": "https://fake.slack.test/",
                    "team": "Fake",
                    "user": "lessonloop",
                    "team_id": self.token_teams.get(token or "", TEAM_ID),
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                }
            case "chat.postMessage":
                ts = f"1700000000.{next(self._ts):06d}"
                params["ts"] = ts  # recorded with the call, so tests can find the message
                message = {**params, "bot_id": BOT_ID}
                self.messages[(channel, ts)] = message
                return {"ok": True, "channel": channel, "ts": ts, "message": message}
            case "chat.update":
                ts = str(params.get("ts"))
                self.messages.setdefault((channel, ts), {}).update(params)
                return {"ok": True, "channel": channel, "ts": ts}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
            case "chat.getPermalink":
                ts = str(params.get("message_ts", "")).replace(".", "")
                return {
                    "ok": True,
                    "permalink": f"https://fake.slack.test/archives/{channel}/p{ts}",
                }
            case "conversations.open":
                user = str(params.get("users", "")).split(",")[0]
                return {"ok": True, "channel": {"id": "D" + user.lstrip("UW")}}
            case "views.open" | "views.update" | "views.publish":
                return {"ok": True, "view": {"id": "V0001", **_as_dict(params.get("view"))}}
            case "users.info":
                user = str(params.get("user"))
                if user in self.missing_users:
                    return {"ok": False, "error": "user_not_found"}
                return {
                    "ok": True,
                    "user": {
                        "id": user,
                        "tz": "Europe/London",
                        "name": user.lower(),
                        "is_admin": user in self.admins,
                        "is_owner": False,
                        "profile": {"email": self.emails[user]} if user in self.emails else {},
                    },
                }
            case "files.getUploadURLExternal":
                file_id = f"F{next(self._ts):08d}"
                self.files[file_id] = UploadedFile(
                    file_id, str(params.get("filename")), int(params.get("length", 0))
                )
                return {
                    "ok": True,
                    "file_id": file_id,
                    "upload_url": f"{self.root}/upload/{file_id}",
                }
            case "files.completeUploadExternal":
                shared = []
                for item in _as_list(params.get("files")):
                    uploaded = self.files.get(str(item.get("id")))
                    if uploaded is None or uploaded.content is None:
                        return {"ok": False, "error": "file_not_found"}
                    uploaded.title = item.get("title")
                    uploaded.channel = str(params.get("channel_id") or "") or None
                    uploaded.thread_ts = params.get("thread_ts") or None
                    uploaded.initial_comment = params.get("initial_comment")
                    shared.append(
                        {"id": uploaded.id, "name": uploaded.filename, "title": uploaded.title}
                    )
                return {"ok": True, "files": shared}
            case "conversations.info":
                return self._conversation_info(channel)
            case "users.conversations":
                return self._users_conversations(params)
            case _:
                return {"ok": True}

    def _upload(self, file_id: str, raw: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
        """The upload URL: Slack answers 200 with a plain body once it has the bytes."""
        with self._lock:
            self.calls.append(Call("upload", {"file_id": file_id, "length": len(raw)}))
            uploaded = self.files.get(file_id)
            if uploaded is None or len(raw) != uploaded.length:
                return 400, {}, {"ok": False, "error": "bad_upload"}
            uploaded.content = raw
            return 200, {}, {"ok": True}

    def _conversation_info(self, channel_id: str) -> dict[str, Any]:
        found = self.channels.get(channel_id)
        if found is None:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": channel_id,
                "name": found.name,
                "is_channel": True,
                "is_group": False,
                "is_im": False,
                "is_mpim": False,
                "is_private": found.private,
                "is_archived": False,
                "is_member": True,
                "created": 1700000000,
            },
        }

    def _users_conversations(self, params: dict[str, Any]) -> dict[str, Any]:
        """Paginated like Slack: `limit` per page, `response_metadata.next_cursor`."""
        user = str(params.get("user", BOT_USER_ID))
        types = str(params.get("types", "public_channel")).split(",")
        wanted = [
            channel_id
            for channel_id, c in sorted(self.channels.items())
            if user in c.members and ("private_channel" if c.private else "public_channel") in types
        ]
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        page = wanted[start : start + limit]
        more = start + limit < len(wanted)
        return {
            "ok": True,
            "channels": [
                {
                    "id": cid,
                    "name": self.channels[cid].name,
                    "is_private": self.channels[cid].private,
                }
                for cid in page
            ],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                url = urlsplit(self.path)
                params: dict[str, Any] = dict(parse_qsl(url.query))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if url.path.startswith("/upload/"):
                    self._reply(*fake._upload(url.path.removeprefix("/upload/"), raw))
                    return
                if raw:
                    if "json" in self.headers.get("Content-Type", ""):
                        params.update(json.loads(raw))
                    else:
                        params.update(parse_qsl(raw.decode()))
                for key in ("blocks", "view", "attachments", "files"):
                    if isinstance(params.get(key), str):
                        params[key] = json.loads(params[key])
                if url.path.startswith("/response/"):
                    with fake._lock:
                        fake.response_paths.append(url.path)
                    status, headers, body = fake._answer("response_url", params)
                elif url.path.startswith("/api/"):
                    bearer = self.headers.get("Authorization", "")
                    token = bearer.removeprefix("Bearer ") if bearer.startswith("Bearer ") else None
                    status, headers, body = fake._answer(
                        url.path.removeprefix("/api/"), params, token
                    )
                else:
                    status, headers, body = 404, {}, {"ok": False, "error": "unknown_path"}
                self._reply(status, headers, body)

            def _reply(self, status: int, headers: dict[str, str], body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
