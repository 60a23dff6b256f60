"""Builds the app from settings; nothing is built at import time."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.config import JiraSettings, Settings
from bot.installations import InstallationStore
from bot.workers import BoundedExecutor
from handlers.slack import register_all
from handlers.slack.blocks import Blocks
from handlers.slack.clients import SlackClients
from handlers.slack.conversation import register_senders
from handlers.slack.deliveries import Courier
from handlers.slack.deps import Deps
from handlers.slack.inbox import EventIntake, InboxWorkers, RunAtOnce, note_failure
from handlers.slack.install import BOT_SCOPES, LessonloopOAuthFlow, StoredBotAuthorize
from handlers.slack.membership import Membership
from handlers.slack.tracker import register_senders as register_tracker_senders
from models.core.clock import Clock, SystemClock
from models.core.db import make_engine
from models.core.workspaces import WorkspaceDefaults
from models.jira.owing import NO_JIRA, JiraOwed
from models.services import Services
from templates import Templates

if TYPE_CHECKING:  # Jira's client library is imported only when JIRA_URL is set
    from handlers.jira.inbound import JiraWebhook, Reconciliation

# One per core: processing an event is mostly waiting on the database and Slack.
INBOX_THREADS = 2
# Work after an ack is mostly waiting on Slack and the database, so more threads than
# cores; the backlog bounds what a burst can queue in memory.
LISTENER_THREADS = 8
# A queued task holds one command, click or form (a few KiB; never over the server's 1 MiB
# cap): 1024 is a few MiB in practice. At 256, a burst of 330 `/postmortem start` from 8
# senders (benchmarks/ack_latency.py) filled it and the last acks waited for slots (p99
# 120-150 ms against 3 ms); past 1024 acks still wait, so memory stays bounded.
LISTENER_BACKLOG = 1024
# How long an install link works (its OAuth state).
INSTALL_STATE_SECONDS = 600


@dataclass(frozen=True, slots=True)
class Lessonloop:
    """The Bolt app and what the server and scheduler need beside it."""

    bolt: App
    services: Services
    courier: Courier
    # Stored Events API deliveries are processed here, not on the request thread.
    inbox: InboxWorkers
    # Stores them before their 200 (the server calls it; Socket Mode through Bolt).
    intake: EventIntake
    jira: JiraSide | None = None  # JIRA_URL set


@dataclass(frozen=True, slots=True)
class JiraSide:
    """What the server (the webhook) and the scheduler (the reconciliation) need."""

    webhook: JiraWebhook
    reconciliation: Reconciliation


def jira_side(settings: JiraSettings, services: Services, courier: Courier) -> JiraSide:
    """The Jira senders registered with the courier; one clear message at start when the
    URL or the credential is wrong, and Lessonloop runs on."""
    from handlers.jira.client import JiraClient, check
    from handlers.jira.inbound import JiraWebhook, Reconciliation
    from handlers.jira.senders import JiraSenders

    client = JiraClient(settings.url, settings.email, settings.api_token)
    check(client)
    senders = JiraSenders(client, services, courier.email_of, issue_type=settings.issue_type)
    for kind, sender in senders.senders().items():
        courier.add_sender(kind, sender)
    return JiraSide(
        webhook=JiraWebhook(services.jira, settings.webhook_secret),
        reconciliation=Reconciliation(client, services.jira, services.clock),
    )


def web_client(settings: Settings) -> WebClient:
    """The one workspace's client; installed through OAuth, a client with no token that
    each workspace's is made from (SlackClients), and that calls oauth.v2.access."""
    return WebClient(
        token=settings.bot_token or None,
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
    services = Services.build(
        engine or make_engine(settings.database_url),
        clock or SystemClock(),
        # LESSONLOOP_TIMEZONE is where a workspace starts; each keeps its own from then on.
        WorkspaceDefaults(timezone=settings.timezone.key),
        JiraOwed(enabled=True, default_project=settings.jira.project)
        if settings.jira is not None
        else NO_JIRA,
        retention=timedelta(days=settings.retention_days),
    )
    client = web_client(settings)
    templates = Templates(settings.template_dir)
    installations = (
        InstallationStore(
            client_id=settings.client_id,
            engine=services.engine,
            logger=logging.getLogger("lessonloop.installations"),
        )
        if settings.client_id is not None
        else None
    )
    # One workspace: Bolt checks the token with auth.test at once. Many: each request is
    # authorised from its workspace's stored bot, and Bolt serves the install pages.
    # Bolt takes an Authorize instance (one that may find no bot) beside an OAuth flow,
    # though its annotation names only plain functions.
    authorize: Any = StoredBotAuthorize(installations) if installations is not None else None
    oauth_flow = (
        _oauth_flow(settings, client, installations, services, templates)
        if installations is not None
        else None
    )
    # Bolt checks the token with auth.test here, so a wrong token fails at start, not later.
    # Most commands and clicks never reach it over HTTP: they are stored and run by the
    # inbox workers (handlers/slack/inbox.py). For the rest, process_before_response: each
    # listener's ack function runs on the request thread and its work ("lazy" functions)
    # goes to the bounded pool afterwards, so an ack never waits for a free worker nor for
    # Bolt's 10 ms polling of a worker's ack().
    bolt = App(
        client=client,
        signing_secret=settings.signing_secret,
        authorize=authorize,
        oauth_flow=oauth_flow,
        logger=logging.getLogger("lessonloop.bolt"),
        process_before_response=True,
        listener_executor=BoundedExecutor(
            workers=LISTENER_THREADS, backlog=LISTENER_BACKLOG, name="listener"
        ),
    )
    # The same listeners again, run synchronously on an inbox worker's thread, their work
    # after the ack too: see handlers/slack/inbox.py. Its requests were verified when stored.
    events = App(
        client=client,
        signing_secret=settings.signing_secret,
        authorize=authorize,
        logger=logging.getLogger("lessonloop.events"),
        process_before_response=True,
        token_verification_enabled=False,
        request_verification_enabled=False,
    )
    # As Bolt's own AWS Lambda adapter replaces it for its runtime.
    events.listener_runner.lazy_listener_runner = RunAtOnce(events.logger)
    workspaces = services.workspaces
    blocks = Blocks(
        templates,
        lambda team_id: workspaces.settings(team_id=team_id).zone,
    )
    clients = SlackClients(client, installations)
    courier = Courier(clients, services, blocks)
    deps = Deps(
        services=services,
        blocks=blocks,
        courier=courier,
        clients=clients,
        membership=Membership(services.clock),
    )
    workers = InboxWorkers(services.inbox, events, threads=INBOX_THREADS)
    intake = EventIntake(services.inbox, workers.wake)
    bolt.use(intake.middleware)
    register_all(bolt, deps)
    register_all(events, deps)
    register_senders(deps)
    register_tracker_senders(deps)
    events.error(note_failure)
    jira = jira_side(settings.jira, services, courier) if settings.jira is not None else None
    return Lessonloop(
        bolt=bolt, services=services, courier=courier, inbox=workers, intake=intake, jira=jira
    )


def _oauth_flow(
    settings: Settings,
    client: WebClient,
    installations: InstallationStore,
    services: Services,
    templates: Templates,
) -> LessonloopOAuthFlow:
    assert settings.client_id is not None and settings.client_secret is not None
    return LessonloopOAuthFlow(
        templates=templates,
        installed=lambda team_id: services.lifecycle.installed(team_id=team_id),
        # SLACK_API_URL applies here too: oauth.v2.access and the new token's auth.test.
        client=client,
        logger=logging.getLogger("lessonloop.install"),
        settings=OAuthSettings(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            scopes=list(BOT_SCOPES),
            redirect_uri=settings.redirect_uri,
            installation_store=installations,
            installation_store_bot_only=True,
            state_store=SQLAlchemyOAuthStateStore(
                expiration_seconds=INSTALL_STATE_SECONDS,
                engine=services.engine,
                logger=logging.getLogger("lessonloop.install"),
            ),
            state_expiration_seconds=INSTALL_STATE_SECONDS,
            logger=logging.getLogger("lessonloop.install"),
        ),
    )
