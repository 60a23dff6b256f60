"""`/postmortem jira`: which Jira project a channel's lessons and actions go to, the
back-fill of what the channel has already, and Jira's refusals shown in the channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond

from handlers.slack.deps import Deps
from models.core.errors import UserFacingError
from models.core.views import DeliveryView
from models.jira.service import REFUSED_DELIVERY
from templates import escape_mrkdwn

USAGE = (
    "Use `/postmortem jira <PROJECT KEY>` to send this channel's lessons and actions to that "
    "Jira project, `/postmortem jira off` to stop, `/postmortem jira` to see the setting, "
    "and `/postmortem jira sync` to send what the channel already has."
)
NOT_CONNECTED = (
    "Jira is not connected to Lessonloop. Whoever runs Lessonloop sets JIRA_URL, JIRA_EMAIL "
    "and JIRA_API_TOKEN (see the README's Jira section)."
)


def register_senders(deps: Deps) -> None:
    deps.courier.add_sender(REFUSED_DELIVERY, lambda delivery: tell_refusal(deps, delivery))


def run_jira_command(deps: Deps, command: dict[str, Any], rest: str, respond: Respond) -> None:
    jira = deps.services.jira
    if not jira.enabled:
        raise UserFacingError(NOT_CONNECTED)
    where = {"team_id": command["team_id"], "channel_id": command["channel_id"]}
    user, word = command["user_id"], rest.strip()
    match word.lower():
        case "" | "status":
            setting = jira.channel(**where)
            if setting.project is None:
                text = "Jira is off for this channel. " + USAGE
            else:
                origin = "chosen for this channel" if setting.chosen_here else "the default"
                text = (
                    f"This channel's lessons to improve and actions go to Jira project "
                    f"*{setting.project}* ({origin})."
                )
            respond(response_type="ephemeral", **deps.blocks.notice(text))
        case "off":
            jira.choose_project(**where, project_key=None, by_user=user)
            respond(
                response_type="in_channel",
                **deps.blocks.notice(
                    f"<@{user}> turned Jira off for this channel: new lessons and actions "
                    "stay in Lessonloop, and issues made so far are no longer updated."
                ),
            )
        case "sync":
            owed = jira.back_fill(**where)
            text = (
                f"{owed} open lesson{'s' if owed != 1 else ''} and actions without an issue "
                "will be sent to Jira in the next minute."
                if owed
                else "Everything open in this channel has a Jira issue, or is on its way."
            )
            respond(response_type="ephemeral", **deps.blocks.notice(text))
        case _ if " " not in word:
            chosen = jira.choose_project(**where, project_key=word, by_user=user)
            respond(
                response_type="in_channel",
                **deps.blocks.notice(
                    f"<@{user}> chose Jira project *{chosen.project}* for this channel: new "
                    "lessons to improve and actions become issues there. "
                    "`/postmortem jira sync` sends those the channel has already."
                ),
            )
        case _:
            raise UserFacingError(USAGE)


def tell_refusal(deps: Deps, delivery: DeliveryView) -> None:
    """Shown once per channel, project and refusal (the delivery's dedupe key)."""
    project = escape_mrkdwn(delivery.payload.get("project", ""))
    error = escape_mrkdwn(delivery.payload.get("error", ""))
    deps.clients.for_workspace(delivery.team_id).chat_postMessage(
        channel=delivery.recipient_id,
        **deps.blocks.notice(
            f":warning: Jira refused to create issues in project *{project}*: {error}. "
            "Lessonloop will not try those again. Check the project key and the Jira "
            "account's permissions, then `/postmortem jira <KEY>` and `/postmortem jira sync`."
        ),
    )
