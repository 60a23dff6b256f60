"""The HTTP side: Slack traffic at POST /slack/events, Teams activities at POST
/api/messages, Jira's webhook at POST /jira/webhook, health at GET /healthz, on waitress.
Installed through OAuth, also the install page (GET /slack/install) and Slack's redirect
back (GET /slack/oauth_redirect): those carry no signature, the OAuth state (one use,
minutes, tied to the browser by a cookie) is what protects them."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from sqlalchemy import Engine

from handlers.slack.inbound import (
    MAX_BODY_BYTES,
    Rejection,
    VerifiedRequest,
    read_slack_request,
    too_large,
)
from models.core.db import is_reachable

if TYPE_CHECKING:  # imported only where configured: Teams' and Jira's libraries are slow
    from handlers.jira.inbound import JiraWebhook
    from handlers.teams.documents import DocumentLinks
    from handlers.teams.inbound import TeamsEndpoint

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

SLACK_PATH = "/slack/events"
JIRA_PATH = "/jira/webhook"
TEAMS_PATH = "/api/messages"
# waitress buffers a whole body before calling the app; this makes it refuse larger ones
# while reading, so an unsigned multi-megabyte body costs neither memory nor log lines.
SERVER_OPTIONS: dict[str, Any] = {"max_request_body_size": MAX_BODY_BYTES}

log = logging.getLogger(__name__)
_REASONS = {200: "OK", 404: "Not Found", 410: "Gone"}  # a Teams document's answers


def make_wsgi_app(
    bolt: App | None,
    engine: Engine,
    *,
    signing_secret: str,
    jira: JiraWebhook | None = None,
    teams: TeamsEndpoint | None = None,
    teams_documents: DocumentLinks | None = None,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> WsgiApp:
    """`bolt` None: Slack is not configured; `teams` None: Teams is not; `jira` None: no
    Jira sync. `keep`: stores a verified Events API delivery, command or click when the
    inbox workers run it (EventIntake.keep, True), which is then acknowledged here without
    going through Bolt; without it Bolt's middleware stores them."""

    documents_prefix = None
    if teams_documents is not None:
        from handlers.teams.documents import PATH_PREFIX

        documents_prefix = PATH_PREFIX

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == JIRA_PATH and jira is not None:
            return _jira(jira, environ, start_response)
        if path == TEAMS_PATH and teams is not None:
            return _teams(teams, environ, start_response)
        if teams_documents is not None and documents_prefix and path.startswith(documents_prefix):
            if method not in ("GET", "HEAD"):
                return _json(start_response, 405, {"error": "GET only"})
            served = teams_documents.serve(path[len(documents_prefix) :])
            start_response(f"{served.status} {_REASONS.get(served.status, '')}", served.headers)
            return [b""] if method == "HEAD" else [served.body]
        if path == SLACK_PATH and bolt is not None:
            if method != "POST":
                return _json(start_response, 405, {"error": "POST only"})
            outcome = _read(environ, signing_secret)
            if isinstance(outcome, Rejection):
                # Path, size and reason only: nothing an unverified sender wrote is logged.
                log.warning(
                    "refused %s %s (%s bytes): %s",
                    method,
                    path,
                    environ.get("CONTENT_LENGTH") or 0,
                    outcome.reason,
                )
                return _json(start_response, outcome.status, {"error": outcome.reason})
            if keep is not None and keep(outcome.body):
                start_response("200 OK", [("Content-Length", "0")])
                return [b""]
            return _dispatch(bolt, outcome, environ, start_response)
        oauth = bolt.oauth_flow if bolt is not None else None
        if oauth is not None and path in (oauth.install_path, oauth.redirect_uri_path):
            if method != "GET":
                return _json(start_response, 405, {"error": "GET only"})
            headers: dict[str, str | Sequence[str]] = dict(_headers(environ))
            request = BoltRequest(body="", query=environ.get("QUERY_STRING", ""), headers=headers)
            if path == oauth.install_path:
                return _respond(oauth.handle_installation(request), start_response)
            return _respond(oauth.handle_callback(request), start_response)
        if path == "/healthz" and method in ("GET", "HEAD"):
            if is_reachable(engine):
                return _json(start_response, 200, {"status": "ok"})
            return _json(start_response, 503, {"status": "database unreachable"})
        return _json(start_response, 404, {"error": "not found"})

    return application


def _jira(
    jira: JiraWebhook, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """Verified (HMAC of the raw body) before anything in it is read."""
    raw = _posted_body(environ)
    if isinstance(raw, Rejection):
        return _json(start_response, raw.status, {"error": raw.reason})
    outcome = jira.receive(_headers(environ), raw)
    if outcome.status != 200:
        log.warning("refused POST %s (%s bytes): %s", JIRA_PATH, len(raw), outcome.reason)
        return _json(start_response, outcome.status, {"error": outcome.reason})
    return _json(start_response, 200, {"status": outcome.reason})


def _teams(
    teams: TeamsEndpoint, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """The token is checked by the endpoint before anything in the body is read."""
    raw = _posted_body(environ)
    if isinstance(raw, Rejection):
        return _json(start_response, raw.status, {"error": raw.reason})
    answer = teams.receive(_headers(environ), raw)
    return _json(start_response, answer.status, answer.body)


def _posted_body(environ: dict[str, Any]) -> bytes | Rejection:
    """The raw body of a POST within the size limit, read only after both are checked."""
    if environ.get("REQUEST_METHOD") != "POST":
        return Rejection(405, "POST only")
    declared = environ.get("CONTENT_LENGTH")
    if (rejection := too_large(declared)) is not None:
        return rejection
    return bytes(environ["wsgi.input"].read(int(declared))) if declared else b""


def _read(environ: dict[str, Any], signing_secret: str) -> VerifiedRequest | Rejection:
    raw = _posted_body(environ)
    if isinstance(raw, Rejection):
        return raw
    return read_slack_request(_headers(environ), raw, signing_secret=signing_secret)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].lower().replace("_", "-"): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.lower().replace("_", "-")] = str(environ[key])
    return headers


def _dispatch(
    bolt: App, request: VerifiedRequest, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    response = bolt.dispatch(
        BoltRequest(
            body=request.raw_body,
            query=environ.get("QUERY_STRING", ""),
            headers=dict(request.headers.items()),
        )
    )
    return _respond(response, start_response)


def _respond(response: BoltResponse, start_response: StartResponse) -> Iterable[bytes]:
    wsgi = WsgiHttpResponse(status=response.status, headers=response.headers, body=response.body)
    start_response(wsgi.status, wsgi.get_headers())
    return wsgi.get_body()


def _json(start_response: StartResponse, status: int, body: dict[str, str]) -> list[bytes]:
    payload = json.dumps(body).encode()
    reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
    reasons |= {403: "Forbidden"}
    reasons |= {405: "Method Not Allowed", 413: "Content Too Large", 503: "Service Unavailable"}
    start_response(
        f"{status} {reasons[status]}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]
