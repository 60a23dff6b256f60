"""`/postmortem settings`: the workspace's time zone, coach default and review defaults
(models.core.workspaces). Anyone may see them; workspace admins and owners, as Slack's
users.info says, may change them."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from handlers.slack.blocks import Blocks, Message
from handlers.slack.deps import Deps
from models.core.errors import NotAllowed, UserFacingError
from models.core.workspaces import ReviewDefaults, WorkspaceSettings
from models.followup.cadence import Cadenced, parse_cadence
from models.followup.tables import Cadence

SETTINGS_USAGE = (
    "Use `/postmortem settings` to see them, `/postmortem settings timezone Europe/Paris`, "
    "`/postmortem settings coach on|off`, `/postmortem settings review weekly tuesday 10:00 "
    "lead 5` or `/postmortem settings review off`."
)
ADMINS_ONLY = "Only workspace admins and owners can change Lessonloop's workspace settings."


def run_settings_command(
    deps: Deps, command: dict[str, Any], text: str, respond: Respond, client: WebClient
) -> None:
    verb, _, rest = text.strip().partition(" ")
    verb, rest = verb.lower(), rest.strip()
    team_id, user = command["team_id"], command["user_id"]
    workspaces = deps.services.workspaces
    if verb in ("", "show"):
        shown = workspaces.settings(team_id=team_id)
        respond(response_type="ephemeral", **settings_message(deps.blocks, shown))
        return
    if verb not in ("timezone", "coach", "review"):
        raise UserFacingError(f"I don't know the setting `{verb[:40]}`. {SETTINGS_USAGE}")
    # Before reading what was asked: someone who may not change settings learns no more.
    require_admin(client, user)
    match verb:
        case "timezone":
            if not rest:
                raise UserFacingError("Say which time zone, e.g. `timezone Europe/Paris`.")
            changed = workspaces.change(team_id=team_id, by_user=user, timezone=rest)
        case "coach":
            if rest.lower() not in ("on", "off"):
                raise UserFacingError("Use `/postmortem settings coach on` or `... coach off`.")
            changed = workspaces.change(
                team_id=team_id, by_user=user, coach_enabled=rest.lower() == "on"
            )
        case _:
            review = _review_defaults(deps, team_id, rest)
            changed = workspaces.change(team_id=team_id, by_user=user, review=review)
    respond(response_type="ephemeral", **settings_message(deps.blocks, changed, by_user=user))


def require_admin(client: WebClient, user_id: str) -> None:
    person = client.users_info(user=user_id)["user"]
    if not (person.get("is_admin") or person.get("is_owner")):
        raise NotAllowed(ADMINS_ONLY)


def settings_message(
    blocks: Blocks, settings: WorkspaceSettings, *, by_user: str | None = None
) -> Message:
    review = settings.review
    described = _cadenced(review, settings.timezone).describe() if review.cadence else None
    text = blocks.templates.slack(
        "workspace_settings", settings=settings, review=described, by_user=by_user
    )
    return blocks.notice(text)


def _review_defaults(deps: Deps, team_id: str, text: str) -> ReviewDefaults:
    if text.lower() in ("off", "none", "clear"):
        return ReviewDefaults()
    zone = deps.services.workspaces.settings(team_id=team_id).timezone
    cadence = parse_cadence(text, default_timezone=zone, today=deps.today(team_id))
    if cadence.timezone != zone:
        raise UserFacingError(
            "Review defaults use the workspace's time zone; change that with "
            "`/postmortem settings timezone <zone>`."
        )
    typed_lead = "lead" in text.lower().split()
    return ReviewDefaults(
        cadence=cadence.cadence.value,
        weekday=cadence.weekday,
        week_of_month=cadence.week_of_month,
        day_of_month=cadence.day_of_month,
        local_time=cadence.local_time,
        lead_days=cadence.lead_days if typed_lead else None,
    )


def _cadenced(review: ReviewDefaults, zone: str) -> Cadenced:
    assert review.cadence is not None
    return Cadenced(
        cadence=Cadence(review.cadence),
        local_time=review.local_time,
        timezone=zone,
        weekday=review.weekday,
        week_of_month=review.week_of_month,
        day_of_month=review.day_of_month,
    )
