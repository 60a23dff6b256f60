"""Installing Lessonloop in any number of workspaces: Bolt's OAuth flow, with our pages
and two rules of ours.

- Org-wide installs on Enterprise Grid are refused with a page that says so, and the
  token Slack gave for the org is revoked: Lessonloop keeps one bot token per workspace
  (its records are keyed by workspace), so each workspace of an org installs it for
  itself. Workspace-level installs inside a Grid org work like any other.
- Every failure (install cancelled, a state that is expired, replayed or from another
  browser, Slack refusing the code at oauth.v2.access) is a short page saying what
  happened and how to try again, status 400, with nothing stored.

Requests are authorised from the stored bot (StoredBotAuthorize), without the auth.test
call per request that Bolt's default makes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.error import BoltError
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.request import BoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation

from handlers.slack.clients import Installations
from templates import Templates

log = logging.getLogger(__name__)

# The bot scopes asked for at install: manifest.json's (tests/handlers/slack/test_install.py).
BOT_SCOPES = (
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "files:write",
    "groups:history",
    "groups:read",
    "im:write",
    "users:read",
    "users:read.email",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
ORG_WIDE = "org_wide_install"


class OrgWideInstallRefused(BoltError):
    """An Enterprise Grid org-wide install: refused, see the module's docstring."""


@dataclass(frozen=True, slots=True)
class Page:
    title: str
    paragraphs: tuple[str, ...]


RETRY = "Start again from the install page; it takes a minute."
FAILURES: dict[str, Page] = {
    "access_denied": Page(
        "Lessonloop was not installed",
        ("You chose not to allow Lessonloop in your workspace, so nothing was installed.",),
    ),
    "invalid_browser": Page(
        "This install link is not for this browser",
        (
            "The install was started in another browser, or this browser does not keep "
            "cookies for this site, so it cannot be finished here. Nothing was installed.",
            RETRY,
        ),
    ),
    "invalid_state": Page(
        "This install link has expired or was already used",
        ("An install link works once and for a few minutes. Nothing was installed.", RETRY),
    ),
    "missing_code": Page(
        "Slack did not finish the install",
        ("The answer from Slack had no authorisation code. Nothing was installed.", RETRY),
    ),
    "invalid_code": Page(
        "Slack refused the install",
        (
            "Slack did not accept the install when Lessonloop asked it for the workspace's "
            "token (oauth.v2.access). Nothing was installed.",
            RETRY + " If it keeps failing, check the app's client id, secret and redirect URL.",
        ),
    ),
    ORG_WIDE: Page(
        "Install Lessonloop in each workspace instead",
        (
            "Lessonloop does not support org-wide installs on Enterprise Grid: it keeps "
            "each workspace's post-mortems, lessons and actions apart, with one install per "
            "workspace. Nothing was installed and the org's token was given back.",
            "Install it from a workspace of your org, once per workspace that wants it.",
        ),
    ),
    "storage_error": Page(
        "Lessonloop could not save the install",
        ("Slack approved the install but Lessonloop could not store it.", RETRY),
    ),
}


class LessonloopOAuthFlow(OAuthFlow):
    """Bolt's OAuth flow with our pages, the org-wide refusal and a hook on install."""

    def __init__(
        self,
        *,
        templates: Templates,
        installed: Callable[[str], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._templates, self._installed = templates, installed
        self.settings.callback_options = CallbackOptions(
            success=self._succeeded, failure=self._failed
        )
        self.success_handler, self.failure_handler = self._succeeded, self._failed

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return self._templates.page(
            "install",
            title="Add Lessonloop to your Slack workspace",
            paragraphs=(
                "Lessonloop runs blameless post-mortems in a Slack thread, keeps the lessons "
                "and follows up on the actions.",
                "Slack will ask you to allow it in your workspace.",
            ),
            link=url,
            link_label="Add to Slack",
        )

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        if installation.is_enterprise_install or not installation.team_id:
            self._give_back(installation)
            raise OrgWideInstallRefused("org-wide installs are not supported")
        super().store_installation(request, installation)
        self._installed(installation.team_id)
        log.info("installed in workspace %s", installation.team_id)

    def _give_back(self, installation: Installation) -> None:
        if installation.bot_token:
            try:
                self.client.auth_revoke(token=installation.bot_token)
            except SlackApiError as error:
                log.warning("could not revoke a refused org token: %s", error.response.get("error"))

    def _succeeded(self, args: SuccessArgs) -> BoltResponse:
        team = args.installation.team_name or "your workspace"
        return self._page(
            200,
            title="Lessonloop is installed",
            paragraphs=(
                f"Lessonloop is now in {team}. Invite it to a channel and type "
                "/postmortem start <title> to run your first review.",
            ),
        )

    def _failed(self, args: FailureArgs) -> BoltResponse:
        reason = ORG_WIDE if isinstance(args.error, OrgWideInstallRefused) else args.reason
        page = FAILURES.get(reason, FAILURES["invalid_code"])
        log.warning("install failed: %s", reason)
        status = 500 if reason == "storage_error" else 400
        return self._page(
            status,
            title=page.title,
            paragraphs=page.paragraphs,
            link=None if reason == "access_denied" else INSTALL_PATH,
        )

    def _page(
        self,
        status: int,
        *,
        title: str,
        paragraphs: tuple[str, ...],
        link: str | None = None,
    ) -> BoltResponse:
        body = self._templates.page(
            "install", title=title, paragraphs=paragraphs, link=link, link_label="Try again"
        )
        return BoltResponse(
            status=status,
            body=body,
            headers={
                "Content-Type": "text/html; charset=utf-8",
                # The state was used or is no good: the browser need not keep it.
                "Set-Cookie": [self.settings.state_utils.build_set_cookie_for_deletion()],
            },
        )


class StoredBotAuthorize(Authorize):
    """A request's workspace's bot, read from the installation store."""

    def __init__(self, installations: Installations) -> None:
        self._installations = installations

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        bot = self._installations.find_team_bot(team_id) if team_id else None
        if bot is None or not bot.bot_token:
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            team=bot.team_name,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )
