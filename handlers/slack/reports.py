"""Reports: the post-mortem document (`/postmortem report`, and on close), the
programme-board summary (`/postmortem summary`) and CSV exports (`/postmortem export`)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, TypedDict

from slack_bolt import Respond
from slack_sdk import WebClient

from handlers.slack.blocks import ID_LIMIT, Blocks
from handlers.slack.channel_privacy import ChannelPrivacy
from handlers.slack.clients import SlackClients
from handlers.slack.markup import read
from handlers.slack.membership import Gate
from handlers.slack.slacktext import truncate
from models.core.dates import FutureDate, UnreadableDate, parse_past_date
from models.core.errors import NotFound, UserFacingError
from models.core.views import DeliveryView
from models.postmortems.access import NO_POSTMORTEM
from models.postmortems.documents import postmortem_context, slug
from models.postmortems.views import Summary
from models.reports.service import BOARD_DELIVERY, BoardSummary, ExportedAction, ExportedLesson
from models.services import Services
from templates import Templates
from templates.charts import trend_chart
from templates.exports import to_csv

if TYPE_CHECKING:  # handlers.slack.deps imports the Courier, which imports this module
    from handlers.slack.deps import Deps

NOT_IN_CHANNEL = (
    "I'm not in this channel, so I can't post there. "
    "Invite me with `/invite @Lessonloop` and run the command again."
)
EXPORT_USAGE = (
    "Use `/postmortem export actions` or `/postmortem export lessons`, "
    "optionally followed by a channel: `/postmortem export actions #incidents`."
)
# Slack's answers when the app cannot post in a channel: the user is told to invite it.
NOT_THERE = frozenset({"not_in_channel", "channel_not_found"})
DOCUMENT_LIST_LIMIT = 100  # rows per list in a board document; the CSV export has them all
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,31}")


class FileUpload(TypedDict):
    """One entry of files_upload_v2(file_uploads=[...])."""

    filename: str
    title: str
    content: bytes


class Documents:
    """Renders reports to files; the words live in templates/documents/."""

    def __init__(self, templates: Templates) -> None:
        self._t = templates

    def postmortem(self, summary: Summary) -> list[FileUpload]:
        pm = summary.postmortem
        context = postmortem_context(summary)
        stem = f"postmortem-{pm.id}-{slug(pm.title)}"
        return [
            _file(f"{stem}.md", f"Post-mortem: {pm.title} (Markdown)", self._t, context, "md"),
            _file(f"{stem}.html", f"Post-mortem: {pm.title} (HTML)", self._t, context, "html"),
        ]

    def board(self, board: BoardSummary, channel_name: str) -> list[FileUpload]:
        chart = trend_chart(
            labels=[point.label for point in board.trend],
            open_actions=[point.open_actions for point in board.trend],
            open_lessons=[point.open_lessons for point in board.trend],
            title=f"Carried over in {channel_name}, by "
            + ("release" if board.trend_basis == "releases" else "month"),
        )
        context = {
            "board": board,
            "limit": DOCUMENT_LIST_LIMIT,
            "channel_name": channel_name,
            "chart_uri": "data:image/png;base64," + base64.b64encode(chart).decode(),
        }
        stem = f"board-summary-{slug(channel_name)}-{board.end:%Y-%m-%d}"
        return [
            {
                "filename": f"{stem}-trend.png",
                "title": "Trend: open actions and lessons",
                "content": chart,
            },
            _file(
                f"{stem}.md", "Programme-board summary (Markdown)", self._t, context, "md", "board"
            ),
            _file(
                f"{stem}.html", "Programme-board summary (HTML)", self._t, context, "html", "board"
            ),
        ]


@dataclass(frozen=True, slots=True)
class BoardRequest:
    channel_id: str
    channel_name: str
    since: date | None
    release: str | None


def read_channel(text: str, *, default_id: str, default_name: str) -> tuple[str, str, str]:
    """A leading channel link (how Slack sends a typed #channel), else the default; and
    the rest of the text, read from its markup."""
    said = read(text.strip())
    link = said.conversation_at(0)
    if link is None or not _CHANNEL_ID.fullmatch(link.ref):
        return default_id, default_name, said.text
    shown = said.text[link.start : link.end]
    # A link Slack sent without its name shows only the id.
    return link.ref, link.ref if shown == f"#{link.ref}" else shown, said.text[link.end :].strip()


def read_board_request(
    text: str, *, channel_id: str, channel_name: str, today: date
) -> BoardRequest:
    """`[#channel] [since <date> | release <name>]`."""
    channel_id, channel_name, rest = read_channel(
        text, default_id=channel_id, default_name=channel_name
    )
    word, _, value = rest.partition(" ")
    match word.lower():
        case "":
            return BoardRequest(channel_id, channel_name, None, None)
        case "since":
            return BoardRequest(channel_id, channel_name, _past_date(value, today), None)
        case "release" if value.strip():
            return BoardRequest(channel_id, channel_name, None, value.strip())
        case _:
            raise UserFacingError(
                "Use `/postmortem summary [#channel] [since <date> | release <name>]`, "
                "e.g. `/postmortem summary #incidents since 1 oct`."
            )


def _past_date(text: str, today: date) -> date:
    try:
        return parse_past_date(text, today=today)
    except FutureDate:
        raise UserFacingError("`since` needs a date that has already come.") from None
    except UnreadableDate as error:
        raise UserFacingError(f"{error}. Try `since 2026-10-01` or `since 1 oct`.") from error


class ReportHandlers:
    """The `report`, `summary` and `export` verbs of `/postmortem`."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._documents = Documents(deps.blocks.templates)
        self._gate = Gate(deps.services, deps.membership)
        self._privacy = ChannelPrivacy(deps.services.lessons)

    def _require_readable(
        self, command: dict[str, Any], client: WebClient, channel_id: str, *, posted_here: bool
    ) -> None:
        """A report on another channel follows the lesson library's privacy rule: a private
        channel's records go only to its members. A summary is posted where it was asked
        for, so a private channel's summary is only posted in that channel itself."""
        if channel_id == command["channel_id"]:
            return  # slash commands come only from channels the user is in
        channel = self._privacy.require(client, team_id=command["team_id"], channel_id=channel_id)
        if not channel.is_private:
            return
        if posted_here:
            raise UserFacingError(
                f"#{channel.name} is private, so its summary stays there: run "
                "`/postmortem summary` in that channel."
            )
        member_of = self._deps.membership.private_channels(
            client, team_id=command["team_id"], user_id=command["user_id"]
        )
        if channel_id not in member_of:
            raise UserFacingError(f"#{channel.name} is private and you are not a member of it.")

    def report(
        self, command: dict[str, Any], rest: str, respond: Respond, client: WebClient
    ) -> None:
        reports, team_id = self._deps.services.reports, command["team_id"]
        wanted = rest.strip().lstrip("#")
        if wanted and not (wanted.isascii() and wanted.isdigit()):
            raise UserFacingError("Use `/postmortem report` or `/postmortem report <number>`.")
        if wanted:
            postmortem_id = int(wanted)
            if postmortem_id >= ID_LIMIT:
                raise NotFound(NO_POSTMORTEM)
        else:
            postmortem_id = reports.latest_in_channel(
                team_id=team_id, channel_id=command["channel_id"]
            ).id
        # A non-member of a private review's channel gets the answer for a review that
        # does not exist, and nothing is uploaded.
        postmortem = self._gate.postmortem(
            client,
            team_id=team_id,
            user_id=command["user_id"],
            postmortem_id=postmortem_id,
            command_channel=command["channel_id"],
        )
        delivery_id = reports.owe_documents(
            team_id=team_id, postmortem_id=postmortem.id, channel_id=postmortem.channel_id
        )
        self._deps.courier.deliver_due(ids=(delivery_id,))
        if self._deps.courier.refused(delivery_id=delivery_id) in NOT_THERE:
            raise UserFacingError(NOT_IN_CHANNEL)
        respond(
            response_type="ephemeral",
            **self._deps.blocks.notice(
                f":page_facing_up: The document for post-mortem {postmortem.id} is in its thread."
            ),
        )

    def summary(
        self, command: dict[str, Any], rest: str, respond: Respond, client: WebClient
    ) -> None:
        today = self._deps.today(command["team_id"])
        request = read_board_request(
            rest,
            channel_id=command["channel_id"],
            channel_name=f"#{command.get('channel_name') or command['channel_id']}",
            today=today,
        )
        self._require_readable(command, client, request.channel_id, posted_here=True)
        since = None
        if request.since is not None:
            since = datetime.combine(
                request.since, time(), self._deps.zone(command["team_id"])
            ).astimezone(UTC)
        reports, courier = self._deps.services.reports, self._deps.courier
        posted = reports.post_board(
            team_id=command["team_id"],
            channel_id=request.channel_id,
            channel_name=request.channel_name,
            posted_in=command["channel_id"],
            posted_by=command["user_id"],
            today=today,
            since=since,
            release=request.release,
        )
        # Stored first, posted second: sent now, or on a later tick if Slack is down.
        courier.deliver_due(subject_id=posted.post_id)
        if courier.refusal(subject_id=posted.post_id, kind=BOARD_DELIVERY) in NOT_THERE:
            reports.withdraw_board(team_id=command["team_id"], post_id=posted.post_id)
            raise UserFacingError(NOT_IN_CHANNEL)

    def export(
        self, command: dict[str, Any], rest: str, respond: Respond, client: WebClient
    ) -> None:
        what, _, where = rest.strip().partition(" ")
        channel_id, channel_name, extra = read_channel(
            where, default_id=command["channel_id"], default_name=command["channel_id"]
        )
        self._require_readable(command, client, channel_id, posted_here=False)
        reports, team_id = self._deps.services.reports, command["team_id"]
        match what.lower():
            case "actions" if not extra:
                content = actions_csv(
                    reports.export_actions(team_id=team_id, channel_id=channel_id)
                )
            case "lessons" if not extra:
                content = lessons_csv(
                    reports.export_lessons(team_id=team_id, channel_id=channel_id)
                )
            case _:
                raise UserFacingError(EXPORT_USAGE)
        today = self._deps.today(team_id)
        filename = f"lessonloop-{what.lower()}-{slug(channel_name)}-{today:%Y-%m-%d}.csv"
        # Uploaded here, not owed: the CSV is the answer to this request, for the person
        # who asked, and changes nothing; if Slack refuses it, they are told and ask again.
        dm = client.conversations_open(users=command["user_id"])["channel"]["id"]
        client.files_upload_v2(
            file_uploads=[{"filename": filename, "title": filename, "content": content}],
            channel=dm,
            initial_comment=f"The {what.lower()} of <#{channel_id}> as CSV, ready for your "
            "issue tracker's import.",
        )
        respond(
            response_type="ephemeral",
            **self._deps.blocks.notice(":inbox_tray: I've sent you the CSV in a direct message."),
        )


ACTION_COLUMNS = ("Summary", "Description", "Assignee", "Due date", "Status", "Labels")
LESSON_COLUMNS = (*ACTION_COLUMNS, "Kind", "Tags", "Source")
_STATUS_NAMES = {
    "open": "Open",
    "in_progress": "In progress",
    "blocked": "Blocked",
    "done": "Done",
    "dropped": "Dropped",
}


def actions_csv(actions: list[ExportedAction]) -> bytes:
    rows = []
    for action in actions:
        description = [action.description]
        if action.lesson_text:
            description.append(f"Lesson: {action.lesson_text}")
        if action.postmortem_title:
            description.append(_source(action.postmortem_title, action.permalink))
        rows.append(
            (
                _summary_line(action.description),
                "\n\n".join(description),
                action.owner_id,
                action.target_on.isoformat() if action.target_on else "",
                _STATUS_NAMES[action.status.value],
                " ".join(("lessonloop", "postmortem-action")),
            )
        )
    return to_csv(ACTION_COLUMNS, rows)


def lessons_csv(lessons: list[ExportedLesson]) -> bytes:
    rows = []
    for lesson in lessons:
        source = (
            _source(lesson.postmortem_title, lesson.permalink) if lesson.postmortem_title else ""
        )
        rows.append(
            (
                _summary_line(lesson.text),
                f"{lesson.text}\n\nRaised by {lesson.author_id}."
                + (f"\n{source}" if source else ""),
                "",
                "",
                "Open" if lesson.is_open else "Closed",
                " ".join(("lessonloop", f"lesson-{lesson.kind.value}", *lesson.tags)),
                lesson.kind.value,
                " ".join(lesson.tags),
                source,
            )
        )
    return to_csv(LESSON_COLUMNS, rows)


def _summary_line(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else "(empty)"
    return truncate(first, 250, "…")


def _source(title: str | None, permalink: str | None) -> str:
    return f"From the post-mortem “{title}”" + (f": {permalink}" if permalink else "")


class BoardSender:
    """Sends BOARD_DELIVERY in parts (the messages, then the files), each recorded as it
    goes: a retry starts after the last part Slack accepted, so no part appears twice."""

    def __init__(self, clients: SlackClients, services: Services, blocks: Blocks) -> None:
        self._clients, self._services = clients, services
        self._blocks, self._documents = blocks, Documents(blocks.templates)

    def post(self, delivery: DeliveryView) -> None:
        posted = self._services.reports.posted_board(delivery=delivery)
        if posted is None:
            return  # withdrawn: the app could not post where it was asked
        where, done = posted.posted_in, int(delivery.payload.get("parts_sent", 0))
        client = self._clients.for_workspace(delivery.team_id)
        messages = self._blocks.board_summary(posted.board)
        for part, message in enumerate(messages):
            if part >= done:
                client.chat_postMessage(channel=where, **message)
                self._record(delivery, part + 1)
        if len(messages) >= done:
            files = self._documents.board(posted.board, posted.channel_name)
            client.files_upload_v2(
                file_uploads=[dict(f) for f in files],
                channel=where,
                initial_comment=":chart_with_upwards_trend: The trend, and the summary as "
                "Markdown and as a printable web page.",
            )
            self._record(delivery, len(messages) + 1)

    def _record(self, delivery: DeliveryView, parts_sent: int) -> None:
        self._services.deliveries.record_progress(
            delivery_id=delivery.id, progress={"parts_sent": parts_sent}
        )


def upload_postmortem_documents(
    client: WebClient, services: Services, documents: Documents, delivery: DeliveryView
) -> None:
    """Outbox sender: the post-mortem document, as files in the review's thread."""
    assert delivery.subject_id is not None
    share_postmortem_documents(client, services, documents, delivery.team_id, delivery.subject_id)


def share_postmortem_documents(
    client: WebClient, services: Services, documents: Documents, team_id: str, postmortem_id: int
) -> None:
    summary = services.postmortems.summary(team_id=team_id, postmortem_id=postmortem_id)
    pm = summary.postmortem
    client.files_upload_v2(
        file_uploads=[dict(f) for f in documents.postmortem(summary)],
        channel=pm.channel_id,
        thread_ts=pm.thread_ref,
        initial_comment=":page_facing_up: The post-mortem document, as Markdown and as a "
        "printable web page.",
    )


def _file(
    filename: str,
    title: str,
    templates: Templates,
    context: dict[str, Any],
    fmt: str,
    name: str = "postmortem",
) -> FileUpload:
    text = templates.document(name, fmt, **context)
    return {"filename": filename, "title": title[:250], "content": text.encode()}
