"""`/postmortem` and the buttons that move a review through its steps."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers.slack.blocks import read_phase_value
from handlers.slack.channel_privacy import ChannelPrivacy
from handlers.slack.deps import Deps
from handlers.slack.errors import acknowledge, on_button, replying_privately
from handlers.slack.ids import ActionId, Command
from handlers.slack.lifecycle import run_forget_command
from handlers.slack.markup import read_plain
from handlers.slack.membership import Gate
from handlers.slack.messages import time_of
from handlers.slack.reports import ReportHandlers
from handlers.slack.reviews import run_review_command
from handlers.slack.tracker import run_jira_command
from handlers.slack.workspace_settings import run_settings_command
from models.core.errors import UserFacingError
from models.postmortems.service import ROOT_DELIVERY, Move, validate_title

_MOVES = {
    ActionId.PHASE_NEXT: Move.NEXT,
    ActionId.PHASE_BACK: Move.BACK,
    ActionId.PHASE_SKIP: Move.SKIP,
}
NOT_IN_CHANNEL = (
    "I'm not in this channel yet, so I can't follow the thread. "
    "Invite me with `/invite @Lessonloop` and run the command again."
)


def register(app: App, deps: Deps) -> None:
    handlers = PostmortemHandlers(deps)
    app.command(Command.POSTMORTEM)(acknowledge, handlers.run_command)
    for action_id in _MOVES:
        app.action(action_id)(acknowledge, on_button(handlers.move))
    app.action(ActionId.CLOSE)(acknowledge, on_button(handlers.close))


class PostmortemHandlers:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._reports = ReportHandlers(deps)
        self._privacy = ChannelPrivacy(deps.services.lessons)
        self._gate = Gate(deps.services, deps.membership)

    def run_command(
        self, ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        with replying_privately(command, client, respond):
            self._run(command, respond, client)

    def _run(self, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        verb, _, rest = command.get("text", "").strip().partition(" ")
        match verb.lower():
            case "" | "help":
                respond(response_type="ephemeral", **self._deps.blocks.help())
            case "start":
                self._start(command, read_plain(rest), client)
            case "coach":
                self._coach(command, rest.strip().lower(), respond)
            case "review":
                run_review_command(self._deps, command, rest, respond)
            case "settings":
                run_settings_command(self._deps, command, rest, respond, client)
            case "jira":
                run_jira_command(self._deps, command, rest, respond)
            case "list":
                postmortems = self._deps.services.postmortems.open_in_channel(
                    team_id=command["team_id"], channel_id=command["channel_id"]
                )
                respond(response_type="ephemeral", **self._deps.blocks.open_list(postmortems))
            case "report":
                self._reports.report(command, rest, respond, client)
            case "summary":
                self._reports.summary(command, rest, respond, client)
            case "export":
                self._reports.export(command, rest, respond, client)
            case "forget-workspace":
                run_forget_command(self._deps, command, rest, respond, client)
            case _:
                raise UserFacingError(
                    f"I don't know `{verb[:40]}`. Try `/postmortem start <title>`, "
                    "`/postmortem list` or `/postmortem help`."
                )

    def _coach(self, command: dict[str, Any], setting: str, respond: Respond) -> None:
        channels = self._deps.services.channels
        where = {"team_id": command["team_id"], "channel_id": command["channel_id"]}
        if setting in ("on", "off"):
            channels.set_coach(**where, enabled=setting == "on", by_user=command["user_id"])
            respond(
                response_type="in_channel",
                **self._deps.blocks.coach_setting(
                    enabled=setting == "on", by_user=command["user_id"]
                ),
            )
        elif setting in ("", "status"):
            enabled = channels.coach_enabled(**where)
            respond(response_type="ephemeral", **self._deps.blocks.coach_setting(enabled=enabled))
        else:
            raise UserFacingError("Use `/postmortem coach on` or `/postmortem coach off`.")

    def _start(self, command: dict[str, Any], title: str, client: WebClient) -> None:
        title = validate_title(title)
        channel, user, team_id = command["channel_id"], command["user_id"], command["team_id"]
        if channel.startswith("D"):
            raise UserFacingError("Start a post-mortem in a channel, so the team can join in.")
        # Replies become lessons, shown beyond the channel only if it is public.
        self._privacy.learn(client, team_id=team_id, channel_id=channel)
        postmortems = self._deps.services.postmortems
        postmortem = postmortems.start(
            team_id=team_id, channel_id=channel, title=title, facilitator_id=user
        )
        # Stored first, posted second: the root message and first prompt are owed, and
        # sent now; if Slack is down they go out on a later tick.
        self._deps.courier.deliver_due(subject_id=postmortem.id)
        refused = self._deps.courier.refusal(subject_id=postmortem.id, kind=ROOT_DELIVERY)
        if refused in ("not_in_channel", "channel_not_found"):
            postmortems.abandon(team_id=team_id, postmortem_id=postmortem.id)
            raise UserFacingError(NOT_IN_CHANNEL)

    def move(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        postmortem_id, phase = read_phase_value(action.get("value"))
        team_id, user = body["team"]["id"], body["user"]["id"]
        # Moving a review needs read access to its channel, decided from the database.
        self._gate.postmortem(client, team_id=team_id, user_id=user, postmortem_id=postmortem_id)
        postmortem = self._deps.services.postmortems.move(
            team_id=team_id,
            postmortem_id=postmortem_id,
            from_phase=phase,
            move=_MOVES[ActionId(action["action_id"])],
            by_user=user,
            clicked_at=time_of(action.get("action_ts")),
        ).postmortem
        self._deps.courier.deliver_due(subject_id=postmortem.id)

    def close(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        postmortem_id, _ = read_phase_value(action.get("value"))
        team_id, user = body["team"]["id"], body["user"]["id"]
        self._gate.postmortem(client, team_id=team_id, user_id=user, postmortem_id=postmortem_id)
        # The closed notice goes to the prompt the database remembers (a delivery owed by
        # close), never to the message the payload names.
        postmortem = self._deps.services.postmortems.close(
            team_id=team_id,
            postmortem_id=postmortem_id,
            by_user=user,
            clicked_at=time_of(action.get("action_ts")),
        )
        self._deps.courier.deliver_due(subject_id=postmortem.id)
