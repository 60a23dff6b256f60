"""Who sent an activity: the Bot Connector's JWT, checked as the Agents SDK checks it.

`JwtTokenValidator` (microsoft-agents-hosting-core) verifies the signature (RS256, keys by
`kid` from a JWKS), expiry and not-before (five minutes' leeway), the audience (our app id)
and, with VALIDATE_ISSUER, the issuer. It finds its keys at Microsoft's published JWKS;
with an OpenID metadata URL configured (a sovereign cloud, a test's fake connector) the keys
come from the `jwks_uri` that document names instead, with the same checks. Beyond the SDK,
the token's `serviceurl` claim must name the activity's serviceUrl, so a replayed token
cannot make the bot send its own credentials elsewhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any

from jwt import PyJWK, PyJWKClient, PyJWTError
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration
from microsoft_agents.hosting.core.authorization.authentication_constants import (
    AuthenticationConstants,
)
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import (
    JwtTokenValidator,
)

log = logging.getLogger(__name__)

# Where the Bot Connector's tokens come from (checked against `iss`).
BOT_CONNECTOR_ISSUER = AuthenticationConstants.AGENTS_SDK_TOKEN_ISSUER
METADATA_TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Caller:
    """What a verified token says: the app it was issued for and the service it came from."""

    app_id: str
    service_url: str


class NotVerified(Exception):
    """The request's token is missing, forged, expired or not for this app."""


class _KeysFromMetadata:
    """Stands in for the SDK's JWKS client cache: the keys named by one OpenID metadata
    document, whatever issuer the unverified token claims (so a token cannot choose
    where its keys are fetched from)."""

    def __init__(self, metadata_url: str) -> None:
        self._metadata_url = metadata_url
        self._lock = threading.Lock()
        self._client: PyJWKClient | None = None

    def _jwks(self) -> PyJWKClient:
        with self._lock:
            if self._client is None:
                with urllib.request.urlopen(
                    self._metadata_url, timeout=METADATA_TIMEOUT_SECONDS
                ) as response:
                    metadata = json.load(response)
                self._client = PyJWKClient(str(metadata["jwks_uri"]))
            return self._client

    async def get_signing_key(self, jwks_uri: str, header: dict[str, Any]) -> PyJWK:
        del jwks_uri  # the SDK's choice from the unverified issuer; ours is configured
        return await asyncio.to_thread(
            lambda: self._jwks().get_signing_key(str(header.get("kid", "")))
        )


class ActivityVerifier:
    def __init__(self, *, app_id: str, tenant_id: str | None, metadata_url: str | None) -> None:
        configuration = AgentAuthConfiguration(
            client_id=app_id,
            tenant_id=tenant_id or None,
            issuers=[BOT_CONNECTOR_ISSUER],
            validate_issuer=True,
        )
        self._validator = JwtTokenValidator(configuration)
        if metadata_url is not None:
            # An instance attribute shadows the SDK's class-wide cache for this validator only.
            self._validator._jwk_client_manager = _KeysFromMetadata(metadata_url)  # type: ignore[assignment]

    def verify(self, authorization: str | None, *, service_url: str) -> Caller:
        """The caller of a request whose Authorization header is `authorization`, for an
        activity naming `service_url`; raises NotVerified."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotVerified("no bearer token")
        try:
            claims = asyncio.run(self._validator.validate_token(token)).claims
        except (PyJWTError, ValueError, KeyError, OSError) as error:
            # The type only: an unverified token's contents are not logged.
            raise NotVerified(type(error).__name__) from None
        claimed = str(claims.get(AuthenticationConstants.SERVICE_URL_CLAIM, ""))
        if not claimed or claimed.rstrip("/") != service_url.rstrip("/"):
            raise NotVerified("serviceurl claim does not match the activity")
        return Caller(app_id=str(claims.get("aud", "")), service_url=service_url)
