"""Builds the app from settings; nothing is built at import time."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy import Engine

from bot.config import Settings
from handlers import register_all
from handlers.blocks import Blocks
from handlers.deliveries import Courier
from handlers.deps import Deps
from handlers.membership import Membership
from models.clock import Clock, SystemClock
from models.db import make_engine
from models.services import Services
from templates import Templates


@dataclass(frozen=True, slots=True)
class Lessonloop:
    """The Bolt app and what the server and scheduler need beside it."""

    bolt: App
    services: Services
    courier: Courier


def web_client(settings: Settings) -> WebClient:
    return WebClient(
        token=settings.bot_token,
        base_url=settings.api_url or WebClient.BASE_URL,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(
    settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None
) -> Lessonloop:
    services = Services.build(engine or make_engine(settings.database_url), clock or SystemClock())
    # Bolt checks the token with auth.test here, so a wrong token fails at start, not later.
    bolt = App(
        client=web_client(settings),
        signing_secret=settings.signing_secret,
        logger=logging.getLogger("lessonloop.bolt"),
    )
    blocks = Blocks(Templates(settings.template_dir), settings.timezone)
    courier = Courier(bolt.client, services, blocks)
    deps = Deps(
        services=services,
        blocks=blocks,
        courier=courier,
        timezone=settings.timezone,
        membership=Membership(services.clock),
    )
    register_all(bolt, deps)
    return Lessonloop(bolt=bolt, services=services, courier=courier)
