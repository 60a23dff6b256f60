"""The app removed from a workspace: `app_uninstalled`, `tokens_revoked`, or Slack
refusing the workspace's token. Sends stop at once (its tokens are removed and what it
was owed is cancelled) and its data is kept for the retention period
(LESSONLOOP_RETENTION_DAYS), then deleted by the scheduler; a reinstall before then finds
everything as it was (handlers.slack.install).

With one workspace and its token in SLACK_BOT_TOKEN, there is no install to come back
through, so nothing is scheduled for deletion: the operator is told in the log, and
deletes with `lessonloop workspace delete` if they want.
https://api.slack.com/events/app_uninstalled https://api.slack.com/events/tokens_revoked
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from handlers.slack.ids import Event
from handlers.slack.stopping import stop_sending
from handlers.slack.workspace_settings import require_admin

if TYPE_CHECKING:
    from handlers.slack.deps import Deps

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    def uninstalled(body: dict[str, Any]) -> None:
        stop_sending(deps.clients, deps.services, str(body["team_id"]), reason="app_uninstalled")

    def revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):  # only user tokens revoked: the bot goes on as before
            stop_sending(deps.clients, deps.services, str(body["team_id"]), reason="tokens_revoked")

    app.event(Event.APP_UNINSTALLED)(uninstalled)
    app.event(Event.TOKENS_REVOKED)(revoked)


def run_forget_command(
    deps: Deps, command: dict[str, Any], text: str, respond: Respond, client: WebClient
) -> None:
    """`/postmortem forget-workspace`: workspace admins and owners delete all of the
    workspace's data now, after typing the workspace's id to confirm."""
    team_id, user = command["team_id"], command["user_id"]
    # Before saying anything about the data: someone who may not delete it learns nothing.
    require_admin(client, user)
    lifecycle = deps.services.lifecycle
    if text.split() != ["confirm", team_id]:
        total = sum(lifecycle.count(team_id=team_id).values())
        respond(
            response_type="ephemeral",
            **deps.blocks.notice(
                f":warning: This deletes everything Lessonloop keeps for this workspace, now: "
                f"{total} records (post-mortems, lessons, actions, schedules, settings)"
                + (" and its tokens" if deps.clients.multi_workspace else "")
                + ". It cannot be undone; `lessonloop workspace export` on the server saves "
                f"a copy first. To go ahead, type `/postmortem forget-workspace confirm "
                f"{team_id}`."
            ),
        )
        return
    deleted = lifecycle.delete(team_id=team_id)
    deps.clients.forget(team_id)
    log.warning("workspace %s deleted by %s: %d rows", team_id, user, deleted.total)
    after = (
        "Lessonloop can no longer post here; install it again to start afresh."
        if deps.clients.multi_workspace
        else "Anything new people do with Lessonloop is kept again from now on; "
        "remove the app from the workspace to stop it."
    )
    respond(
        response_type="ephemeral",
        **deps.blocks.notice(
            f":wastebasket: Deleted all {deleted.total} records Lessonloop kept for this "
            f"workspace. {after}"
        ),
    )
