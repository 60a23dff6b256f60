"""A stateful fake of Jira Cloud's REST v3 on loopback, for tests and the benchmark.

Answers the real paths and shapes Lessonloop uses (POST /rest/api/3/issue, GET
/rest/api/3/search/jql, transitions, PUT issue, comments, user search, issueLink,
myself) with basic auth checked, and can misbehave on cue: 429 with Retry-After, 5xx, a
connection dropped after an issue was created, or 429 to every n-th call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

EMAIL, TOKEN = "bot@example.test", "jira-token"
API = "/rest/api/3/"

# One workflow for every project: status name -> category key, and its transitions.
STATUSES = {"To Do": "new", "In Progress": "indeterminate", "Done": "done", "Won't Do": "done"}
CATEGORY_NAMES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
TRANSITIONS = [
    {"id": "11", "name": "To Do", "to": "To Do"},
    {"id": "21", "name": "Start work", "to": "In Progress"},
    {"id": "31", "name": "Done", "to": "Done"},
    {"id": "41", "name": "Won't do", "to": "Won't Do"},
]


def jira_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Fault:
    status: int
    retry_after: int | None = None


@dataclass
class FakeJira:
    projects: set[str] = field(default_factory=lambda: {"OPS", "WEB"})
    # email -> accountId
    users: dict[str, str] = field(default_factory=dict)
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # Answer 429 (Retry-After `throttle_retry_after`) to every n-th call; 0: never.
    throttle_every: int = 0
    throttle_retry_after: int = 1
    # Create the next issue(s), then drop the connection without answering.
    drop_after_create: int = 0
    account_id: str = "lessonloop-bot"
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # What a person does in Jira's UI, and the webhook Jira would send about it.

    def change(
        self,
        key: str,
        *,
        by: str,
        category: str | None = None,
        due: date | str | None = "keep",
        assignee: str | str | None = "keep",
    ) -> dict[str, Any]:
        with self._lock:
            issue = self.issues[key]
            if category is not None:
                issue["fields"]["status"] = _status(CATEGORY_NAMES[category])
            if due != "keep":
                issue["fields"]["duedate"] = due.isoformat() if isinstance(due, date) else None
            if assignee != "keep":
                issue["fields"]["assignee"] = {"accountId": assignee} if assignee else None
            issue["fields"]["updated"] = jira_time(_now())
            return self.webhook("jira:issue_updated", key, by=by)

    def webhook(self, event: str, key: str, *, by: str) -> dict[str, Any]:
        return {
            "timestamp": int(_now().timestamp() * 1000),
            "webhookEvent": event,
            "user": {"accountId": by, "displayName": by},
            "issue": json.loads(json.dumps(self.issues[key])),
        }

    def category_of(self, key: str) -> str:
        return str(self.issues[key]["fields"]["status"]["statusCategory"]["key"])

    def issues_labelled(self, label: str) -> list[dict[str, Any]]:
        return [i for i in self.issues.values() if label in i["fields"]["labels"]]

    # HTTP

    def handle(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, int | None]:
        """(status, body, Retry-After seconds)."""
        with self._lock:
            self.calls.append((method, path))
            if self.faults:
                fault = self.faults.pop(0)
                words = {"errorMessages": [f"fault {fault.status}"], "errors": {}}
                return fault.status, words, fault.retry_after
            if self.throttle_every and len(self.calls) % self.throttle_every == 0:
                words = {"errorMessages": ["Rate limit exceeded"], "errors": {}}
                return 429, words, self.throttle_retry_after
            return (*self._route(method, path.removeprefix(API), query, body), None)

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        match method, path.split("/"):
            case "GET", ["myself"]:
                return 200, {"accountId": self.account_id, "displayName": "Lessonloop"}
            case "POST", ["issue"]:
                return self._create(body["fields"])
            case "GET", ["search", "jql"]:
                return 200, self._search(query)
            case "GET", ["issue", key] if key in self.issues:
                return 200, self.issues[key]
            case "PUT", ["issue", key] if key in self.issues:
                fields = self.issues[key]["fields"]
                for name, value in body.get("fields", {}).items():
                    fields[name] = value
                fields["updated"] = jira_time(_now())
                return 204, None
            case "GET", ["issue", key, "transitions"] if key in self.issues:
                # As Jira's workflows do: none to the status the issue is in.
                now = self.issues[key]["fields"]["status"]["name"]
                return 200, {
                    "transitions": [
                        {"id": t["id"], "name": t["name"], "to": _status(t["to"])}
                        for t in TRANSITIONS
                        if t["to"] != now
                    ]
                }
            case "POST", ["issue", key, "transitions"] if key in self.issues:
                chosen = next(t for t in TRANSITIONS if t["id"] == body["transition"]["id"])
                self.issues[key]["fields"]["status"] = _status(chosen["to"])
                self.issues[key]["fields"]["updated"] = jira_time(_now())
                return 204, None
            case "POST", ["issue", key, "comment"] if key in self.issues:
                self.comments.setdefault(key, []).append(body["body"])
                return 201, {"id": str(len(self.comments[key]))}
            case "GET", ["user", "search"]:
                wanted = query.get("query", "").lower()
                return 200, [
                    {"accountId": account, "emailAddress": email, "accountType": "atlassian"}
                    for email, account in self.users.items()
                    if wanted and wanted in email.lower()
                ]
            case "POST", ["issueLink"]:
                self.links.append(body)
                return 201, None
        return 404, {"errorMessages": ["Issue does not exist or you do not have permission"]}

    def _create(self, fields: dict[str, Any]) -> tuple[int, Any]:
        project = fields.get("project", {}).get("key")
        if project not in self.projects:
            return 400, {"errorMessages": [], "errors": {"project": "valid project is required"}}
        self._counter += 1
        key = f"{project}-{self._counter}"
        stored = {
            **fields,
            "status": _status("To Do"),
            "duedate": fields.get("duedate"),
            "assignee": fields.get("assignee"),
            "updated": jira_time(_now()),
        }
        self.issues[key] = {"id": str(10000 + self._counter), "key": key, "fields": stored}
        if self.drop_after_create:
            self.drop_after_create -= 1
            return -1, None  # the connection is closed: the client never hears the key
        return 201, {"id": self.issues[key]["id"], "key": key, "self": f"{API}issue/{key}"}

    def _search(self, query: dict[str, str]) -> dict[str, Any]:
        jql = query.get("jql", "")
        label = re.search(r'labels\s*=\s*"?([\w.\-]+)"?', jql)
        minutes = re.search(r"updated\s*>=\s*-(\d+)m", jql)
        found = list(self.issues.values())
        if label:
            found = [i for i in found if label.group(1) in i["fields"]["labels"]]
        if minutes:
            since = _now() - timedelta(minutes=int(minutes.group(1)))
            found = [i for i in found if i["fields"]["updated"] >= jira_time(since)]
        wanted = query.get("fields", "").split(",")
        limit = int(query.get("maxResults", 50))
        start = int(query.get("nextPageToken") or 0)
        page = found[start : start + limit]
        more = start + limit < len(found)
        return {
            "issues": [
                {
                    "id": i["id"],
                    "key": i["key"],
                    "fields": {k: v for k, v in i["fields"].items() if k in wanted},
                }
                for i in page
            ],
            "isLast": not more,
            **({"nextPageToken": str(start + limit)} if more else {}),
        }


def _status(name: str) -> dict[str, Any]:
    return {"name": name, "statusCategory": {"key": STATUSES[name]}}


def _now() -> datetime:
    return datetime.now(UTC)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeJira
    protocol_version = "HTTP/1.1"
    # Headers and body are written apart; without this, Nagle's algorithm holds the body
    # until the client's delayed ACK (40 ms a call on Linux).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self, method: str) -> None:
        expected = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("Authorization") != expected:
            self._answer(401, {"errorMessages": ["Client must be authenticated"]})
            return
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        status, body, retry_after = self.fake.handle(
            method, parts.path, query, json.loads(raw) if raw else {}
        )
        if status == -1:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._answer(status, body, retry_after)

    def _answer(self, status: int, body: Any, retry_after: int | None = None) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        if payload:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")


class FakeJiraServer:
    def __init__(self, fake: FakeJira | None = None) -> None:
        self.fake = fake or FakeJira()
        handler = type("Handler", (_Handler,), {"fake": self.fake})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeJiraServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
