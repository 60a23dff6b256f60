"""Lessonloop: blameless post-mortems, lessons and follow-through, in Slack."""

from __future__ import annotations

import argparse
import gc
import http.client
import logging
import signal
import sys
import threading
import urllib.error
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings, settings_help

# The app (Bolt, SQLAlchemy, every handler and model) is imported by the command that
# runs it, after main() has stopped the cycle collector for start-up: see _starting.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.app import Lessonloop
    from handlers.teams.app import TeamsApp
    from models.services import Services

log = logging.getLogger("lessonloop")

CONFIG_HELP = (
    "Set them in the environment or in a .env file (see .env.example). "
    "To get the Slack values, create the app from manifest.json "
    "(README, 'Set up the Slack app')."
)
EXIT_CONFIG = 2
EXIT_STATUS_HELP = (
    "exit status: 0 after a normal stop (SIGTERM, Ctrl-C); 2 when the configuration is wrong\n"
    "or Slack cannot be reached at start (one message says what to check); 1 otherwise."
)
# What the Web API client raises when it gets no HTTP answer at all (refused, reset,
# timed out, name not resolved); an HTTP answer that is not ok is a SlackApiError.
UNREACHABLE = (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException)


class StartupError(Exception):
    """Something outside Lessonloop is not as configured; the message says what to check."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lessonloop",
        description=__doc__,
        epilog=f"{settings_help()}\n\n{EXIT_STATUS_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, title="commands")
    serve = commands.add_parser(
        "serve", help="run the Slack app (HTTP, or Socket Mode) and/or the Teams bot"
    )
    serve.add_argument(
        "--no-scheduler", action="store_true", help="do not send due messages from this process"
    )
    commands.add_parser(
        "scheduler", help="only send due messages (for deployments with several web replicas)"
    )
    commands.add_parser("migrate", help="bring the database schema up to date")
    package = commands.add_parser(
        "teams-package", help="write the Microsoft Teams app package (zip) for TEAMS_APP_ID"
    )
    package.add_argument("--website", required=True, help="your https page about this bot")
    package.add_argument("--privacy", help="privacy statement URL (default: <website>/privacy)")
    package.add_argument("--terms", help="terms of use URL (default: <website>/terms)")
    package.add_argument("--version", default="1.0.0", help="the package's version (x.y.z)")
    package.add_argument("--output", default="lessonloop-teams.zip", type=Path)
    args = parser.parse_args(argv)

    try:
        settings = load_settings(require_slack=args.command not in ("migrate", "teams-package"))
    except ConfigError as error:
        problems = "\n".join(f"  - {problem}" for problem in error.problems)
        print(f"lessonloop: configuration problem:\n{problems}\n{CONFIG_HELP}", file=sys.stderr)
        return EXIT_CONFIG
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _starting()
    try:
        if args.command == "migrate":
            from models.core.db import make_engine, upgrade_schema

            upgrade_schema(make_engine(settings.database_url))
            log.info("database schema is up to date")
            return 0
        if args.command == "teams-package":
            return _teams_package(settings, args)
        if args.command == "scheduler":
            return _schedule(settings)
        return _serve(settings, with_scheduler=not args.no_scheduler)
    except StartupError as error:
        print(f"lessonloop: {error}", file=sys.stderr)
        return EXIT_CONFIG
    finally:
        gc.enable()  # after `migrate`, or a start that failed


def _starting() -> None:
    # Importing and building the app makes a few hundred thousand objects that all live
    # until exit and almost no garbage; the cycle collector kept walking them as they
    # piled up, a tenth of the CPU time of a start. It is back on in _started().
    gc.disable()


def _started() -> None:
    # What start-up built stays for the life of the process: freezing it keeps every
    # later collection from walking it again.
    gc.freeze()
    gc.enable()


def _serve(settings: Settings, *, with_scheduler: bool) -> int:
    from waitress.server import create_server

    from bot.scheduler import build_scheduler
    from bot.server import SERVER_OPTIONS, make_wsgi_app
    from models.core.db import make_engine, upgrade_schema

    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    # Either front end, or both, on one server, one database and one set of services.
    lessonloop = _connect_to_slack(settings, engine) if settings.slack else None
    services = lessonloop.services if lessonloop is not None else _services(settings, engine)
    teams = _teams(settings, services) if settings.teams else None
    scheduler = None
    if with_scheduler and lessonloop is not None:
        scheduler = build_scheduler(
            lessonloop.courier,
            lessonloop.services.clock,
            plan=lessonloop.services.meetings.plan,
            inbox=lessonloop.inbox,
        )
    if with_scheduler and teams is not None:
        from bot.teams import add_teams_job, teams_scheduler

        if scheduler is None:
            scheduler = teams_scheduler(teams, services.clock, services.meetings.plan)
        else:
            add_teams_job(scheduler, teams, services.clock)
    # What was stored but not processed before a crash is taken up at once.
    for inbox in (lessonloop.inbox if lessonloop else None, teams.inbox if teams else None):
        if inbox is not None:
            inbox.start()
    if scheduler is not None:
        scheduler.start()
    server = create_server(
        make_wsgi_app(
            lessonloop.bolt if lessonloop is not None else None,
            engine,
            signing_secret=settings.signing_secret,
            teams=teams.endpoint if teams is not None else None,
            teams_documents=teams.documents if teams is not None else None,
        ),
        host=settings.host,
        port=settings.port,
        threads=8,
        **SERVER_OPTIONS,
    )
    if settings.socket_mode and lessonloop is not None:
        _start_socket_mode(lessonloop.bolt, settings)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    _started()
    paths = ["/slack/events"] * settings.slack + ["/api/messages"] * settings.teams
    log.info("listening on http://%s:%s%s", settings.host, settings.port, " and ".join(paths))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if lessonloop is not None:
            lessonloop.inbox.stop()
        if teams is not None:
            teams.inbox.stop()
        server.close()
    return 0


def _services(settings: Settings, engine: Engine) -> Services:
    from models.core.clock import SystemClock
    from models.core.workspaces import WorkspaceDefaults
    from models.services import Services

    return Services.build(engine, SystemClock(), WorkspaceDefaults(timezone=settings.timezone.key))


def _teams(settings: Settings, services: Services) -> TeamsApp:
    from bot.teams import create_teams

    return create_teams(settings, services)


def _schedule(settings: Settings) -> int:
    from bot.scheduler import build_scheduler
    from models.core.db import make_engine, upgrade_schema

    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    lessonloop = _connect_to_slack(settings, engine) if settings.slack else None
    services = lessonloop.services if lessonloop is not None else _services(settings, engine)
    teams = _teams(settings, services) if settings.teams else None
    if lessonloop is not None:
        scheduler = build_scheduler(
            lessonloop.courier,
            lessonloop.services.clock,
            plan=lessonloop.services.meetings.plan,
            inbox=lessonloop.inbox,
        )
    if teams is not None:
        from bot.teams import add_teams_job, teams_scheduler

        if lessonloop is None:
            scheduler = teams_scheduler(teams, services.clock, services.meetings.plan)
        else:
            add_teams_job(scheduler, teams, services.clock)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopped.set())
    _started()
    scheduler.start()
    log.info("scheduler running; due messages are read from the database")
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=True)
    return 0


def _teams_package(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.teams.package import package

    if settings.teams_app_id is None:
        raise StartupError(f"TEAMS_APP_ID is not set: the package names the bot.\n{CONFIG_HELP}")
    website = str(args.website).rstrip("/")
    args.output.write_bytes(
        package(
            app_id=settings.teams_app_id,
            version=args.version,
            website=website,
            privacy=args.privacy or f"{website}/privacy",
            terms=args.terms or f"{website}/terms",
        )
    )
    log.info("wrote %s; upload it in Teams (Apps > Manage your apps > Upload an app)", args.output)
    return 0


def _connect_to_slack(settings: Settings, engine: Engine) -> Lessonloop:
    """create_app checks the token with Slack (auth.test); a failure here is the operator's
    to fix, so it becomes one message instead of a traceback."""
    from slack_bolt.error import BoltError
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    from bot.app import create_app

    try:
        return create_app(settings, engine=engine)
    except (BoltError, SlackApiError) as error:
        raise StartupError(
            f"Slack did not accept SLACK_BOT_TOKEN ({error}).\n{CONFIG_HELP}"
        ) from error
    except UNREACHABLE as error:
        url = settings.api_url or WebClient.BASE_URL
        reason = getattr(error, "reason", None) or error
        raise StartupError(
            f"could not reach the Slack Web API at {url} ({reason}).\n"
            "Check that this machine can connect to it (network, firewall, "
            "HTTPS_PROXY)" + (", and that SLACK_API_URL is right." if settings.api_url else ".")
        ) from error


def _start_socket_mode(bolt: object, settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(bolt, app_token=settings.app_token)  # type: ignore[arg-type]
    threading.Thread(target=handler.start, name="socket-mode", daemon=True).start()
    log.info("Socket Mode connected; HTTP serves /healthz")


if __name__ == "__main__":
    sys.exit(main())
