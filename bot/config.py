"""Settings from the environment and an optional `.env` file; the only reader of os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

DEFAULT_DATABASE_URL = "sqlite:///lessonloop.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str  # as people read it in `lessonloop --help`
    meaning: str


# Every variable load_settings reads, in the order people set them: `lessonloop --help`
# prints this table, and _Reader refuses a name that is missing from it.
SETTINGS = (
    Setting("SLACK_BOT_TOKEN", "required", "Bot User OAuth Token (xoxb-...); optional with Teams."),
    Setting("SLACK_SIGNING_SECRET", "required", "Signing secret; every request is checked."),
    Setting("SLACK_APP_TOKEN", "unset", "App-level token (xapp-...); when set, Socket Mode."),
    Setting("SLACK_API_URL", "Slack", "Web API base URL (Slack-compatible endpoints, test fakes)."),
    Setting("TEAMS_APP_ID", "unset", "Microsoft Teams bot: the Entra app (client) id."),
    Setting("TEAMS_APP_PASSWORD", "unset", "Microsoft Teams bot: the Entra app's client secret."),
    Setting("TEAMS_TENANT_ID", "unset", "Entra tenant of a single-tenant bot registration."),
    Setting(
        "TEAMS_OPENID_METADATA_URL",
        "Microsoft",
        "Where the Bot Connector's signing keys are published (sovereign clouds, test fakes).",
    ),
    Setting(
        "LESSONLOOP_PUBLIC_URL",
        "unset",
        "This server's public https base URL: Teams summary cards link the documents there.",
    ),
    Setting("DATABASE_URL", DEFAULT_DATABASE_URL, "SQLAlchemy URL (postgresql+psycopg://...)."),
    Setting("HOST", "0.0.0.0", "Address the HTTP server binds."),
    Setting("PORT", "3000", "Port of the HTTP server."),
    Setting(
        "LESSONLOOP_TIMEZONE",
        "UTC",
        "IANA zone a new workspace starts with; admins change theirs in Slack.",
    ),
    Setting("LOG_LEVEL", "INFO", "One of " + ", ".join(LOG_LEVELS) + "."),
    Setting(
        "LESSONLOOP_TEMPLATE_DIR", "unset", "Directory with your own templates, searched first."
    ),
)
_NAMES = frozenset(setting.name for setting in SETTINGS)


def settings_help() -> str:
    width = max(len(setting.name) for setting in SETTINGS)
    default_width = max(len(setting.default) for setting in SETTINGS)
    rows = [f"  {s.name:<{width}}  {s.default:<{default_width}}  {s.meaning}" for s in SETTINGS]
    return "\n".join(
        [
            "configuration (environment variables, or a .env file in the working directory;",
            "the environment wins; see .env.example):",
            f"  {'VARIABLE':<{width}}  {'DEFAULT':<{default_width}}  MEANING",
            *rows,
        ]
    )


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Settings:
    bot_token: str
    signing_secret: str
    app_token: str | None
    api_url: str | None
    database_url: str
    host: str
    port: int
    # Where a workspace starts; each workspace's own zone lives in the database.
    timezone: ZoneInfo
    log_level: str
    template_dir: Path | None
    teams_app_id: str | None = None
    teams_app_password: str | None = None
    teams_tenant_id: str | None = None
    teams_metadata_url: str | None = None
    public_url: str | None = None

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @property
    def slack(self) -> bool:
        """The Slack front end runs (SLACK_BOT_TOKEN is set)."""
        return bool(self.bot_token)

    @property
    def teams(self) -> bool:
        """The Teams front end runs (TEAMS_APP_ID is set)."""
        return self.teams_app_id is not None


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | None = Path(".env"),
    require_slack: bool = True,
) -> Settings:
    """Environment variables win over `.env`. Raises ConfigError listing every problem."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    read = _Reader(values)

    teams_app_id = read.text("TEAMS_APP_ID") or None
    teams_app_password = read.text("TEAMS_APP_PASSWORD", required=teams_app_id is not None)
    teams_tenant_id = read.text("TEAMS_TENANT_ID") or None
    teams_metadata_url = read.url("TEAMS_OPENID_METADATA_URL", trailing_slash=False)
    public_url = read.url("LESSONLOOP_PUBLIC_URL", trailing_slash=False)
    # Either front end, or both: Slack's settings are required only without Teams.
    require_slack = require_slack and (teams_app_id is None or bool(values.get("SLACK_BOT_TOKEN")))
    bot_token = read.text("SLACK_BOT_TOKEN", required=require_slack, prefix="xoxb-")
    signing_secret = read.text("SLACK_SIGNING_SECRET", required=require_slack)
    app_token = read.text("SLACK_APP_TOKEN", prefix="xapp-") or None
    api_url = read.url("SLACK_API_URL")
    database_url = read.text("DATABASE_URL") or DEFAULT_DATABASE_URL
    port = read.port("PORT", default=3000)
    # Slack must reach the server, and every request to it is signature-checked.
    host = read.text("HOST") or "0.0.0.0"
    timezone = read.timezone("LESSONLOOP_TIMEZONE", default="UTC")
    log_level = (read.text("LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        read.problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    template_dir = read.directory("LESSONLOOP_TEMPLATE_DIR")
    if read.problems:
        raise ConfigError(read.problems)
    return Settings(
        bot_token=bot_token,
        signing_secret=signing_secret,
        app_token=app_token,
        api_url=api_url,
        database_url=database_url,
        host=host,
        port=port,
        timezone=timezone,
        log_level=log_level,
        template_dir=template_dir,
        teams_app_id=teams_app_id,
        teams_app_password=teams_app_password or None,
        teams_tenant_id=teams_tenant_id,
        teams_metadata_url=teams_metadata_url,
        public_url=public_url,
    )


class _Reader:
    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values
        self.problems: list[str] = []

    def text(self, name: str, *, required: bool = False, prefix: str | None = None) -> str:
        if name not in _NAMES:
            raise AssertionError(f"{name} is read but not listed in SETTINGS")
        value = self._values.get(name, "").strip()
        if not value:
            if required:
                self.problems.append(f"{name} is not set")
            return ""
        if prefix and not value.startswith(prefix):
            self.problems.append(f"{name} should start with `{prefix}`")
        return value

    def url(self, name: str, *, trailing_slash: bool = True) -> str | None:
        value = self.text(name)
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.problems.append(f"{name} must be an http(s) URL, e.g. http://127.0.0.1:8888/api/")
            return None
        # slack_sdk keeps the base URL's path only with a trailing slash.
        return value if value.endswith("/") or not trailing_slash else value + "/"

    def port(self, name: str, *, default: int) -> int:
        value = self.text(name)
        if not value:
            return default
        if not value.isdigit() or not 0 <= int(value) <= 65535:
            self.problems.append(f"{name} must be a port number (0-65535), not {value!r}")
            return default
        return int(value)

    def timezone(self, name: str, *, default: str) -> ZoneInfo:
        value = self.text(name) or default
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.problems.append(f"{name} must be an IANA time zone such as Europe/London")
            return ZoneInfo(default)

    def directory(self, name: str) -> Path | None:
        value = self.text(name)
        if not value:
            return None
        path = Path(value).expanduser()
        if not path.is_dir():
            self.problems.append(f"{name} points at {value!r}, which is not a directory")
            return None
        return path
