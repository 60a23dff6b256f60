"""`/postmortem` and the buttons that move a review through its steps."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.blocks import read_phase_value
from handlers.channel_privacy import ChannelPrivacy
from handlers.deps import Deps
from handlers.errors import on_button, replying_privately
from handlers.ids import ActionId, Command
from handlers.membership import Gate
from handlers.reports import ReportHandlers
from handlers.reviews import run_review_command
from handlers.slacktext import to_plain
from models.errors import UserFacingError
from models.phases import Phase
from models.postmortems import LESSON_PHASES, Move, kind_from_title, validate_title
from models.views import PostmortemView

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
    app.command(Command.POSTMORTEM)(handlers.run_command)
    for action_id in _MOVES:
        app.action(action_id)(on_button(handlers.move))
    app.action(ActionId.CLOSE)(on_button(handlers.close))


class PostmortemHandlers:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._reports = ReportHandlers(deps)
        self._privacy = ChannelPrivacy(deps.services.lessons)  # issue 4
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
                self._start(command, to_plain(rest), client)
            case "coach":
                self._coach(command, rest.strip().lower(), respond)
            case "review":
                run_review_command(self._deps, command, rest, respond)
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
        channel, user = command["channel_id"], command["user_id"]
        if channel.startswith("D"):
            raise UserFacingError("Start a post-mortem in a channel, so the team can join in.")
        root_message = self._deps.blocks.root(
            title=title, kind=kind_from_title(title).value, facilitator_id=user, closed=False
        )
        try:
            root = client.chat_postMessage(channel=channel, **root_message)
        except SlackApiError as error:
            if error.response.get("error") in ("not_in_channel", "channel_not_found"):
                raise UserFacingError(NOT_IN_CHANNEL) from error
            raise
        permalink = client.chat_getPermalink(channel=channel, message_ts=root["ts"])
        # Issue 4: replies become lessons, shown beyond the channel only if it is public.
        self._privacy.learn(client, team_id=command["team_id"], channel_id=channel)
        postmortem = self._deps.services.postmortems.start(
            team_id=command["team_id"],
            channel_id=channel,
            thread_ts=root["ts"],
            title=title,
            facilitator_id=user,
            permalink=permalink.get("permalink"),
        )
        post_prompt(self._deps, client, postmortem)

    def move(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        postmortem_id, phase = read_phase_value(action.get("value"))
        team_id, user = body["team"]["id"], body["user"]["id"]
        # Moving a review needs read access to its channel, decided from the database.
        self._gate.postmortem(client, team_id=team_id, user_id=user, postmortem_id=postmortem_id)
        change = self._deps.services.postmortems.move(
            team_id=team_id,
            postmortem_id=postmortem_id,
            from_phase=phase,
            move=_MOVES[ActionId(action["action_id"])],
        )
        postmortem = change.postmortem
        if change.left_prompt_ts:
            client.chat_update(
                channel=postmortem.channel_id,
                ts=change.left_prompt_ts,
                **self._deps.blocks.phase_done(
                    phase=change.left, skipped=change.skipped, by_user=user
                ),
            )
        post_prompt(self._deps, client, postmortem)

    def close(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        postmortem_id, _ = read_phase_value(action.get("value"))
        team_id, user = body["team"]["id"], body["user"]["id"]
        before = self._gate.postmortem(
            client, team_id=team_id, user_id=user, postmortem_id=postmortem_id
        )
        postmortem = self._deps.services.postmortems.close(
            team_id=team_id, postmortem_id=postmortem_id, by_user=user
        )
        # The prompt to mark closed is the one the database remembers, never the message
        # the payload names: that could be any message of the bot's.
        if before.prompt_ts:
            client.chat_update(
                channel=postmortem.channel_id,
                ts=before.prompt_ts,
                **self._deps.blocks.notice(":lock: Review closed. Thank you all."),
            )
        self._deps.courier.deliver_due(subject_id=postmortem.id)


def post_prompt(deps: Deps, client: WebClient, postmortem: PostmortemView) -> None:
    kind = LESSON_PHASES.get(postmortem.phase)
    captured = (
        deps.services.lessons.captured_for(
            team_id=postmortem.team_id, postmortem_id=postmortem.id, kind=kind
        )
        if kind is not None
        else []
    )
    timeline = (
        deps.services.lessons.timeline_of(team_id=postmortem.team_id, postmortem_id=postmortem.id)
        if postmortem.phase is Phase.TIMELINE
        else []
    )
    prompt = client.chat_postMessage(
        channel=postmortem.channel_id,
        thread_ts=postmortem.thread_ts,
        **deps.blocks.phase_prompt(postmortem, captured, timeline),
    )
    deps.services.postmortems.set_prompt(
        team_id=postmortem.team_id,
        postmortem_id=postmortem.id,
        phase=postmortem.phase,
        prompt_ts=prompt["ts"],
    )
