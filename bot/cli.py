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
    workspace = commands.add_parser(
        "workspace", help="delete or export all of one workspace's data (by its id, T...)"
    )
    workspace_commands = workspace.add_subparsers(dest="workspace_command", required=True)
    delete = workspace_commands.add_parser(
        "delete", help="delete every row of the workspace now, its tokens included"
    )
    delete.add_argument("team_id", help="the workspace's id, e.g. T0123ABCD")
    export = workspace_commands.add_parser(
        "export", help="print every row of the workspace as JSON (no tokens)"
    )
    export.add_argument("team_id", help="the workspace's id, e.g. T0123ABCD")
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
        settings = load_settings(
            require_slack=args.command not in ("migrate", "workspace", "teams-package")
        )
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
        if args.command == "workspace":
            return _workspace(settings, args.workspace_command, args.team_id)
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

    from bot.inbox_process import InboxProcess
    from bot.server import SERVER_OPTIONS, make_wsgi_app
    from models.core.db import make_engine, upgrade_schema

    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    # Either front end, or both, on one server, one database and one set of services.
    lessonloop = _connect_to_slack(settings, engine) if settings.slack else None
    services = lessonloop.services if lessonloop is not None else _services(settings, engine)
    teams = _teams(settings, services) if settings.teams else None
    # Slack's stored events (and the scheduler's ticks) are processed in a second process,
    # so this one only verifies, stores and acknowledges: see bot/inbox_process.py.
    workers = InboxProcess(settings, with_scheduler=with_scheduler) if lessonloop else None
    if lessonloop is not None and workers is not None:
        lessonloop.inbox.forward_wakes(workers.wake)
    # Teams' stored activities are processed here, and its outbox is sent from here; it
    # plans what is due only when no Slack worker process does.
    teams_ticker = None
    if teams is not None and with_scheduler:
        from bot.teams import teams_scheduler

        plan = services.plan_due if lessonloop is None else None
        teams_ticker = teams_scheduler(teams, services.clock, plan)
    server = create_server(
        make_wsgi_app(
            lessonloop.bolt if lessonloop is not None else None,
            engine,
            signing_secret=settings.signing_secret,
            jira=lessonloop.jira.webhook if lessonloop is not None and lessonloop.jira else None,
            teams=teams.endpoint if teams is not None else None,
            teams_documents=teams.documents if teams is not None else None,
            keep=lessonloop.intake.keep if lessonloop is not None else None,
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
    if teams is not None:
        # What was stored but not processed before a crash is taken up at once.
        teams.inbox.start()
    if teams_ticker is not None:
        teams_ticker.start()
    # Last, so the worker process's own start-up (imports, the app) does not hold up this
    # one's on a small machine; events stored meanwhile wait in the table.
    if workers is not None:
        workers.start()
    paths = ["/slack/events"] * settings.slack + ["/api/messages"] * settings.teams
    log.info("listening on http://%s:%s%s", settings.host, settings.port, " and ".join(paths))
    if settings.multi_workspace:
        log.info("install page at http://%s:%s/slack/install", settings.host, settings.port)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if teams_ticker is not None:
            teams_ticker.shutdown(wait=False)
        if teams is not None:
            teams.inbox.stop()
        if workers is not None:
            workers.stop()
        server.close()
    return 0


def _services(settings: Settings, engine: Engine) -> Services:
    from datetime import timedelta

    from models.core.clock import SystemClock
    from models.core.workspaces import WorkspaceDefaults
    from models.services import Services

    return Services.build(
        engine,
        SystemClock(),
        WorkspaceDefaults(timezone=settings.timezone.key),
        retention=timedelta(days=settings.retention_days),
    )


def _teams(settings: Settings, services: Services) -> TeamsApp:
    from bot.teams import create_teams

    return create_teams(settings, services)


def _schedule(settings: Settings) -> int:
    from bot.scheduler import scheduler_for
    from models.core.db import make_engine, upgrade_schema

    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    lessonloop = _connect_to_slack(settings, engine) if settings.slack else None
    services = lessonloop.services if lessonloop is not None else _services(settings, engine)
    teams = _teams(settings, services) if settings.teams else None
    if lessonloop is not None:
        scheduler = scheduler_for(lessonloop)
    if teams is not None:
        from bot.teams import add_teams_job, teams_scheduler

        if lessonloop is None:
            scheduler = teams_scheduler(teams, services.clock, services.plan_due)
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


def _workspace(settings: Settings, command: str, team_id: str) -> int:
    """Works on the database alone: the app need not be running, nor Slack reachable."""
    import json
    from datetime import timedelta

    from models.core.clock import SystemClock
    from models.core.db import make_engine, upgrade_schema
    from models.services import Services

    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    lifecycle = Services.build(
        engine, SystemClock(), retention=timedelta(days=settings.retention_days)
    ).lifecycle
    team_id = team_id.strip()
    if not lifecycle.count(team_id=team_id):
        print(f"lessonloop: no data for workspace {team_id}", file=sys.stderr)
        return 1
    if command == "export":
        json.dump(lifecycle.export(team_id=team_id), sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    deleted = lifecycle.delete(team_id=team_id)
    rows = ", ".join(f"{table} {count}" for table, count in sorted(deleted.rows.items()))
    print(f"deleted {deleted.total} rows of workspace {team_id}: {rows}", file=sys.stderr)
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
