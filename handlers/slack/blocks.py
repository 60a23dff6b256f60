"""The only place that assembles Block Kit. Every builder returns {"text", "blocks"}.

Limits honoured here: 3,000 characters a section, 50 blocks a message, 100 options a
select, 75 characters an option label, 3,000 characters of private_metadata.
https://api.slack.com/reference/block-kit/blocks
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, tzinfo
from typing import Any, TypedDict

from handlers.slack.ids import ActionId, Field, ViewId
from handlers.slack.slacktext import split_text, truncate
from models.actions.views import ActionView
from models.coach import BlameVerdict
from models.core.errors import StaleRequest
from models.lessons.tables import LessonKind
from models.lessons.views import LessonView
from models.okrs.views import KeyResultView
from models.postmortems.phases import ORDER, Phase
from models.postmortems.views import PostmortemView, Summary, TimelineView
from models.reports.service import BoardSummary
from templates import Templates, escape_mrkdwn, mention

SECTION_LIMIT = 3000
BLOCKS_PER_MESSAGE = 50
FALLBACK_LIMIT = 3000
OPTIONS_LIMIT = 100
OPTION_TEXT_LIMIT = 75
BOARD_LIST_LIMIT = 15

Block = dict[str, Any]


class Message(TypedDict):
    text: str
    blocks: list[Block]


class Blocks:
    def __init__(
        self, templates: Templates, zone_of: Callable[[str], tzinfo] = lambda _team: UTC
    ) -> None:
        self._t = templates
        # Times (timeline entries) are shown in the zone of the review's workspace.
        self._zone_of = zone_of

    @property
    def templates(self) -> Templates:
        return self._t

    def root(self, *, title: str, kind: str, facilitator_id: str, closed: bool) -> Message:
        text = self._t.slack(
            "root", title=title, kind=kind, facilitator_id=facilitator_id, closed=closed
        )
        return _message(text)

    def phase_prompt(
        self,
        postmortem: PostmortemView,
        captured: Sequence[LessonView] = (),
        timeline: Sequence[TimelineView] = (),
    ) -> Message:
        """`captured`: lessons of this phase's kind recorded before the retro; `timeline`:
        messages added to the review's timeline."""
        phase = postmortem.phase
        text = self._t.slack(
            "phase_prompt",
            phase=phase,
            total=len(ORDER),
            captured=captured,
            **self._timeline(postmortem.team_id, timeline),
        )
        value = phase_value(postmortem.id, phase)
        buttons: list[Block] = []
        if not phase.is_first:
            buttons.append(_button("Back", ActionId.PHASE_BACK, value))
        if phase is Phase.ACTIONS:
            buttons.append(_button("Add action", ActionId.ADD_ACTION, str(postmortem.id)))
        if phase.is_last:
            buttons.append(_button("Close review", ActionId.CLOSE, value, style="primary"))
        else:
            buttons.append(_button("Skip", ActionId.PHASE_SKIP, value))
            buttons.append(_button("Next", ActionId.PHASE_NEXT, value, style="primary"))
        message = _message(text)
        message["blocks"].append({"type": "actions", "elements": buttons})
        return message

    def phase_done(self, *, phase: Phase, skipped: bool, by_user: str) -> Message:
        how = "skipped" if skipped else "done"
        text = f"*Step {phase.number}: {phase.heading}* ({how}, moved on by {mention(by_user)})"
        return _message(text)

    def open_list(self, postmortems: Sequence[PostmortemView]) -> Message:
        return _message(self._t.slack("open_list", postmortems=postmortems))

    def help(self) -> Message:
        return _message(self._t.slack("help"))

    def notice(self, text: str) -> Message:
        """A short message of the app's own words, with any user text already escaped."""
        return _message(text)

    def summary(self, summary: Summary) -> list[Message]:
        text = self._t.slack(
            "summary",
            pm=summary.postmortem,
            phases=ORDER[:-1],
            skipped=summary.postmortem.skipped,
            answers=summary.answers,
            keep=summary.lessons_of(LessonKind.KEEP),
            improve=summary.lessons_of(LessonKind.IMPROVE),
            actions=summary.actions,
            participants=summary.participants,
            nudges=summary.nudges,
            **self._timeline(summary.postmortem.team_id, summary.timeline),
        )
        return paginate(text)

    def board_summary(self, board: BoardSummary) -> list[Message]:
        return paginate(self._t.slack("board_summary", board=board, limit=BOARD_LIST_LIMIT))

    def _timeline(self, team_id: str, entries: Sequence[TimelineView]) -> dict[str, Any]:
        """Timeline entries with their times in the team's zone, oldest first."""
        zone = self._zone_of(team_id)
        timed = [
            {"at": f"{entry.occurred_at.astimezone(zone):%a %d %b %H:%M}", "entry": entry}
            for entry in sorted(entries, key=lambda e: (e.occurred_at, e.id))
        ]
        return {"timeline": timed, "zone": str(zone)}

    def owner_actions(self, postmortem: PostmortemView, actions: Sequence[ActionView]) -> Message:
        return _message(self._t.slack("owner_actions", pm=postmortem, actions=actions))

    def action_added(self, action: ActionView) -> Message:
        return _message(self._t.slack("action_added", action=action))

    def coach_setting(self, *, enabled: bool, by_user: str | None = None) -> Message:
        return _message(self._t.slack("coach_setting", enabled=enabled, by_user=by_user))

    def coach_nudge(self, verdict: BlameVerdict) -> Message:
        message = _message(self._t.slack("coach_nudge", verdict=verdict))
        message["blocks"].append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "Only you can see this. Your reply is recorded as you wrote it.",
                    }
                ],
            }
        )
        message["blocks"].append(
            {"type": "actions", "elements": [_button("Dismiss", ActionId.COACH_DISMISS, "x")]}
        )
        return message

    def reply_problem(self, problem: str, *, postmortem_id: int, draft: str) -> Message:
        message = _message(escape_mrkdwn(problem))
        value = json.dumps({"pm": postmortem_id, "draft": draft[:1500]})
        message["blocks"].append(
            {
                "type": "actions",
                "elements": [_button("Add action", ActionId.ADD_ACTION_FROM_REPLY, value)],
            }
        )
        return message

    def action_modal(
        self,
        *,
        postmortem: PostmortemView,
        lessons: Sequence[LessonView],
        draft: str = "",
        today: date,
        key_results: Sequence[tuple[str, KeyResultView]] = (),
    ) -> dict[str, Any]:
        """`key_results`: the channel's current ones an action may serve, each with the
        title of its objective."""
        description: Block = {
            "type": "plain_text_input",
            "action_id": Field.DESCRIPTION,
            "multiline": True,
            "max_length": 2000,
        }
        if draft:
            description["initial_value"] = draft[:2000]
        blocks: list[Block] = [
            _input(Field.DESCRIPTION, "What needs doing?", description),
            _input(Field.OWNER, "Owner", {"type": "users_select", "action_id": Field.OWNER}),
            _input(
                Field.TARGET,
                "Target date",
                {
                    "type": "datepicker",
                    "action_id": Field.TARGET,
                    "initial_date": today.isoformat(),
                },
                optional=True,
            ),
        ]
        if lessons:
            options = [
                {
                    "text": _plain(f"{lesson.kind.value.capitalize()}: {lesson.text}"),
                    "value": str(lesson.id),
                }
                for lesson in lessons[-OPTIONS_LIMIT:]
            ]
            blocks.append(
                _input(
                    Field.LESSON,
                    "Lesson it addresses",
                    {"type": "static_select", "action_id": Field.LESSON, "options": options},
                    optional=True,
                )
            )
        if key_results:
            choices = [
                {"text": _plain(f"{kr.title} ({objective})"), "value": str(kr.id)}
                for objective, kr in key_results[:OPTIONS_LIMIT]
            ]
            blocks.append(
                _input(
                    Field.KEY_RESULT,
                    "Key result it serves",
                    {"type": "static_select", "action_id": Field.KEY_RESULT, "options": choices},
                    optional=True,
                )
            )
        return {
            "type": "modal",
            "callback_id": ViewId.ACTION_CREATE,
            "private_metadata": json.dumps({"pm": postmortem.id}),
            "title": _plain("Add an action"),
            "submit": _plain("Add"),
            "close": _plain("Cancel"),
            "blocks": blocks,
        }


def phase_value(postmortem_id: int, phase: Phase) -> str:
    return f"{postmortem_id}:{phase.value}"


UNREADABLE = (
    "I couldn't read that button; it may be from an older message. "
    "Please use the one on the latest message."
)
ID_LIMIT = 2**31  # ids are 32-bit in the database; larger numbers name nothing


def read_id(value: Any) -> int:
    """A record id from a button value or form metadata; a polite StaleRequest otherwise."""
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, bool) or not isinstance(text, int | str):
        raise StaleRequest(UNREADABLE)
    if isinstance(text, str) and not (text.isascii() and text.isdigit()):
        raise StaleRequest(UNREADABLE)
    number = int(text)
    if not 0 < number < ID_LIMIT:
        raise StaleRequest(UNREADABLE)
    return number


def read_object(value: Any) -> dict[str, Any]:
    """A JSON object from a button value or private_metadata."""
    try:
        found = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise StaleRequest(UNREADABLE)
    return found


def read_phase_value(value: Any) -> tuple[int, Phase]:
    postmortem_id, _, phase = str(value or "").partition(":")
    try:
        return read_id(postmortem_id), Phase(phase)
    except ValueError:
        raise StaleRequest(UNREADABLE) from None


def paginate(text: str) -> list[Message]:
    """Long text as sections of at most 3,000 characters, 50 sections a message."""
    sections = [_section(chunk) for chunk in split_text(text, SECTION_LIMIT)]
    pages = [
        sections[i : i + BLOCKS_PER_MESSAGE] for i in range(0, len(sections), BLOCKS_PER_MESSAGE)
    ]
    return [
        {"text": truncate(page[0]["text"]["text"], FALLBACK_LIMIT), "blocks": page}
        for page in pages or [[_section(" ")]]
    ]


def _message(text: str) -> Message:
    chunks = split_text(text, SECTION_LIMIT)[: BLOCKS_PER_MESSAGE - 1] or [" "]
    return {
        "text": truncate(text, FALLBACK_LIMIT),
        "blocks": [_section(chunk) for chunk in chunks],
    }


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(label: str, action_id: ActionId, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": _plain(label),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": truncate(text, OPTION_TEXT_LIMIT, "…"), "emoji": True}


def _input(field: Field, label: str, element: Block, *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": field,
        "label": _plain(label),
        "element": element,
        "optional": optional,
    }
