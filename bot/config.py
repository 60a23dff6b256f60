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
    Setting(
        "SLACK_CLIENT_ID",
        "unset",
        "With SLACK_CLIENT_SECRET: install in many workspaces (OAuth); no SLACK_BOT_TOKEN.",
    ),
    Setting("SLACK_CLIENT_SECRET", "unset", "Client secret of the app, for the OAuth install."),
    Setting(
        "SLACK_REDIRECT_URI", "unset", "Public URL of /slack/oauth_redirect, when Slack needs it."
    ),
    Setting(
        "LESSONLOOP_RETENTION_DAYS",
        "30",
        "Days a workspace's data is kept after it uninstalls the app; then it is deleted.",
    ),
    Setting("JIRA_URL", "unset", "Jira Cloud site (https://acme.atlassian.net); when set, sync."),
    Setting("JIRA_EMAIL", "unset", "Email of the Jira account whose API token is used."),
    Setting("JIRA_API_TOKEN", "unset", "That account's API token (basic auth)."),
    Setting("JIRA_PROJECT", "unset", "Default project key; a channel may choose another or none."),
    Setting("JIRA_ISSUE_TYPE", "Task", "Issue type of the issues Lessonloop creates."),
    Setting("JIRA_WEBHOOK_SECRET", "unset", "Secret of Jira's webhook to POST /jira/webhook."),
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


@dataclass(frozen=True, slots=True)
class JiraSettings:
    url: str
    email: str
    api_token: str
    project: str | None
    issue_type: str
    # Without it every webhook is refused (401); the reconciliation pass still runs.
    webhook_secret: str


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
    # Multi-workspace (OAuth) install: both set, or neither.
    client_id: str | None = None
    client_secret: str | None = None
    redirect_uri: str | None = None
    retention_days: int = 30
    jira: JiraSettings | None = None  # None: JIRA_URL unset, no Jira sync
    teams_app_id: str | None = None
    teams_app_password: str | None = None
    teams_tenant_id: str | None = None
    teams_metadata_url: str | None = None
    public_url: str | None = None

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @property
    def multi_workspace(self) -> bool:
        """Installed through OAuth in any number of workspaces, each with its own token."""
        return self.client_id is not None

    @property
    def slack(self) -> bool:
        """The Slack front end runs (SLACK_BOT_TOKEN, or the OAuth install, is set)."""
        return bool(self.bot_token) or self.multi_workspace

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

    client_id = read.text("SLACK_CLIENT_ID") or None
    client_secret = read.text("SLACK_CLIENT_SECRET") or None
    if (client_id is None) != (client_secret is None):
        read.problems.append(
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set together or not at all"
        )
    teams_app_id = read.text("TEAMS_APP_ID") or None
    teams_app_password = read.text("TEAMS_APP_PASSWORD", required=teams_app_id is not None)
    teams_tenant_id = read.text("TEAMS_TENANT_ID") or None
    teams_metadata_url = read.url("TEAMS_OPENID_METADATA_URL", keep_path=True)
    public_url = read.url("LESSONLOOP_PUBLIC_URL", keep_path=True)
    # Either front end, or both: Slack's settings are required only without Teams.
    require_slack = require_slack and (
        teams_app_id is None or bool(values.get("SLACK_BOT_TOKEN")) or client_id is not None
    )
    # One workspace has its token here; many keep theirs in the database, one per install.
    bot_token = read.text(
        "SLACK_BOT_TOKEN", required=require_slack and client_id is None, prefix="xoxb-"
    )
    redirect_uri = read.url("SLACK_REDIRECT_URI", keep_path=True)
    retention_days = read.count("LESSONLOOP_RETENTION_DAYS", default=30)
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
    jira = _jira(read)
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
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        retention_days=retention_days,
        jira=jira,
        teams_app_id=teams_app_id,
        teams_app_password=teams_app_password or None,
        teams_tenant_id=teams_tenant_id,
        teams_metadata_url=teams_metadata_url,
        public_url=public_url,
    )


def _jira(read: _Reader) -> JiraSettings | None:
    url = read.text("JIRA_URL")
    email = read.text("JIRA_EMAIL", required=bool(url))
    api_token = read.text("JIRA_API_TOKEN", required=bool(url))
    project = read.text("JIRA_PROJECT").upper() or None
    issue_type = read.text("JIRA_ISSUE_TYPE") or "Task"
    webhook_secret = read.text("JIRA_WEBHOOK_SECRET")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        read.problems.append("JIRA_URL must be an http(s) URL, e.g. https://acme.atlassian.net")
        return None
    return JiraSettings(
        url=url.rstrip("/"),
        email=email,
        api_token=api_token,
        project=project,
        issue_type=issue_type,
        webhook_secret=webhook_secret,
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

    def url(self, name: str, *, keep_path: bool = False) -> str | None:
        value = self.text(name)
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.problems.append(f"{name} must be an http(s) URL, e.g. http://127.0.0.1:8888/api/")
            return None
        if keep_path:  # a page's address, used exactly as written
            return value
        # slack_sdk keeps the base URL's path only with a trailing slash.
        return value if value.endswith("/") else value + "/"

    def port(self, name: str, *, default: int) -> int:
        value = self.text(name)
        if not value:
            return default
        if not value.isdigit() or not 0 <= int(value) <= 65535:
            self.problems.append(f"{name} must be a port number (0-65535), not {value!r}")
            return default
        return int(value)

    def count(self, name: str, *, default: int) -> int:
        value = self.text(name)
        if not value:
            return default
        if not value.isdigit() or int(value) < 1:
            self.problems.append(
                f"{name} must be a whole number of days (1 or more), not {value!r}"
            )
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
