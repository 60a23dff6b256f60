"""The post-mortem document for Teams, linked rather than uploaded (a channel upload
needs Microsoft Graph): GET /teams/documents/<token> serves it from this server.

The token is the tenant, the post-mortem, the format and an expiry, signed with HMAC-SHA256
under a key derived from the app's secret. Every GET checks the signature, then the
expiry (410), then that the post-mortem still exists (404), and renders it afresh: a
forged, altered or expired token gets a status and no content."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from models.core.clock import Clock
from models.core.errors import NotFound
from models.postmortems.documents import FORMATS, Format, postmortem_filename, render_postmortem
from models.services import Services
from templates import Templates

PATH_PREFIX = "/teams/documents/"
LIFETIME = timedelta(days=30)
MAX_TOKEN = 512
CONTENT_TYPES: dict[Format, str] = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
_SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "private, no-store"),
    ("Referrer-Policy", "no-referrer"),
    # The HTML document carries its styles inline and the trend chart as a data: URI;
    # nothing else may load or run.
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
]


@dataclass(frozen=True, slots=True)
class Served:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def signing_key(app_password: str) -> bytes:
    """A key of its own for document links, derived from the app's secret."""
    return hmac.new(app_password.encode(), b"lessonloop teams document links", "sha256").digest()


class DocumentLinks:
    """`public_url` None: the server's public address is unknown, so there are no links."""

    def __init__(
        self,
        services: Services,
        templates: Templates,
        *,
        key: bytes,
        public_url: str | None,
        clock: Clock,
        lifetime: timedelta = LIFETIME,
    ) -> None:
        self._services, self._templates, self._key = services, templates, key
        self._public_url = public_url.rstrip("/") if public_url else None
        self._clock, self._lifetime = clock, lifetime

    def urls(self, team_id: str, postmortem_id: int) -> dict[Format, str] | None:
        if self._public_url is None:
            return None
        expires = int((self._clock.now() + self._lifetime).timestamp())
        return {
            fmt: f"{self._public_url}{PATH_PREFIX}"
            + quote(self.token(team_id, postmortem_id, fmt, expires), safe="")
            for fmt in FORMATS
        }

    def token(self, team_id: str, postmortem_id: int, fmt: Format, expires: int) -> str:
        claims = json.dumps(
            {"t": team_id, "p": postmortem_id, "f": fmt, "e": expires}, separators=(",", ":")
        ).encode()
        return f"{_b64(claims)}.{_b64(self._sign(claims))}"

    def serve(self, token: str) -> Served:
        claims = self._verified(token)
        if claims is None:
            return _refused(404)
        team_id, postmortem_id, fmt, expires = claims
        if self._clock.now() >= datetime.fromtimestamp(expires, UTC):
            return _refused(410)
        try:
            summary = self._services.postmortems.summary(
                team_id=team_id, postmortem_id=postmortem_id
            )
        except NotFound:
            return _refused(404)
        body = render_postmortem(self._templates, summary, fmt).encode()
        filename = postmortem_filename(summary.postmortem, fmt)
        return Served(
            200,
            [
                ("Content-Type", CONTENT_TYPES[fmt]),
                ("Content-Disposition", f'inline; filename="{filename}"'),
                ("Content-Length", str(len(body))),
                *_SECURITY_HEADERS,
            ],
            body,
        )

    def _sign(self, claims: bytes) -> bytes:
        return hmac.new(self._key, claims, hashlib.sha256).digest()

    def _verified(self, token: str) -> tuple[str, int, Format, int] | None:
        if len(token) > MAX_TOKEN or token.count(".") != 1:
            return None
        encoded, signature = token.split(".")
        try:
            claims, mac = _unb64(encoded), _unb64(signature)
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(mac, self._sign(claims)):
            return None
        read: Any = json.loads(claims)  # signed by us: the shape is ours
        fmt = next(f for f in FORMATS if f == read["f"])
        return str(read["t"]), int(read["p"]), fmt, int(read["e"])


def _refused(status: int) -> Served:
    return Served(status, [("Content-Type", "text/plain; charset=utf-8"), *_SECURITY_HEADERS], b"")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
