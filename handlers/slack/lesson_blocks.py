"""Block Kit for lessons, the library and App Home. Same rules as blocks.py:
builders return {"text", "blocks"} (views return the view), Jinja renders the text.

App Home is a list of `HomeSection`s, so another feature can add its own section.
https://api.slack.com/surfaces/app-home
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from handlers.slack.blocks import (
    BLOCKS_PER_MESSAGE,
    OPTIONS_LIMIT,
    SECTION_LIMIT,
    UNREADABLE,
    Block,
    Message,
    _button,
    _input,
    _message,
    _plain,
    _section,
)
from handlers.slack.ids import ActionId, Field, ViewId
from handlers.slack.slacktext import split_text, truncate
from models.core.errors import StaleRequest
from models.lessons.library import PAGE_SIZE, Capture, Home, Recurrence, SearchPage
from models.lessons.tables import LessonKind
from models.postmortems.views import PostmortemView
from templates import Templates

BUTTON_VALUE_LIMIT = 255
HOME_BLOCKS_LIMIT = 100
RUNNING_LOG = "log"
KIND_LABELS = {LessonKind.KEEP: "Keep doing", LessonKind.IMPROVE: "Improve"}


@dataclass(frozen=True, slots=True)
class HomeSection:
    title: str
    text: str
    blocks: tuple[Block, ...] = ()  # interactive blocks, after the text


class LessonBlocks:
    def __init__(self, templates: Templates) -> None:
        self._t = templates

    def help(self) -> Message:
        return _message(self._t.slack("lessons_help"))

    def kind_question(self, *, text: str, draft_id: int) -> Message:
        message = _message(self._t.slack("lesson_kind", text=text))
        message["blocks"].append(
            {
                "type": "actions",
                "elements": [
                    _button("Keep doing", ActionId.LESSON_KEEP, str(draft_id), style="primary"),
                    _button("Improve", ActionId.LESSON_IMPROVE, str(draft_id)),
                ],
            }
        )
        return message

    def saved(self, capture: Capture) -> Message:
        message = _message(
            self._t.slack("lesson_saved", lesson=capture.lesson, postmortem=capture.postmortem)
        )
        message["blocks"].append(
            {
                "type": "actions",
                "elements": [_button("Undo", ActionId.LESSON_UNDO, str(capture.lesson.id))],
            }
        )
        return message

    def similar(self, recurrence: Recurrence) -> Message:
        return _message(self._t.slack("lesson_similar", seen=recurrence.seen, hits=recurrence.hits))

    def results(self, page: SearchPage) -> Message:
        query = page.query.text
        header = self._t.slack(
            "lesson_results",
            hits=page.hits,
            total=page.total,
            total_label=page.total_label,
            newest_ranked=page.newest_ranked,
            offset=page.offset,
            query=query,
        )
        blocks: list[Block] = [_section(truncate(header, SECTION_LIMIT))]
        for hit in page.hits[: BLOCKS_PER_MESSAGE - 3]:
            blocks.append(_section(truncate(self._t.slack("lesson_hit", hit=hit), SECTION_LIMIT)))
        buttons: list[Block] = []
        if page.has_previous:
            buttons.append(_page_button("Previous", max(0, page.offset - PAGE_SIZE), query))
        if page.has_next:
            buttons.append(_page_button("Next", page.offset + len(page.hits), query))
        buttons = [b for b in buttons if len(b["value"]) <= BUTTON_VALUE_LIMIT]
        if buttons:
            blocks.append({"type": "actions", "elements": buttons})
        return {"text": truncate(header, SECTION_LIMIT), "blocks": blocks}

    def timeline_added(self, *, postmortem: PostmortemView | None, text: str, at: str) -> Message:
        return _message(self._t.slack("timeline_added", postmortem=postmortem, text=text, at=at))

    def save_modal(
        self,
        *,
        view_id: ViewId,
        text: str,
        kind: LessonKind | None,
        postmortems: Sequence[PostmortemView],
        metadata: dict[str, str],
    ) -> dict[str, Any]:
        """The "Save as lesson" / "Add to timeline" form, pre-filled from the message."""
        is_lesson = view_id is ViewId.LESSON_SAVE
        text_input: Block = {
            "type": "plain_text_input",
            "action_id": Field.LESSON_TEXT,
            "multiline": True,
            "max_length": 2000,
        }
        if text.strip():
            text_input["initial_value"] = text[:2000]
        blocks: list[Block] = [
            _input(Field.LESSON_TEXT, "Lesson" if is_lesson else "Timeline entry", text_input)
        ]
        if is_lesson:
            kinds = [
                {"text": _plain(label), "value": kind_.value}
                for kind_, label in KIND_LABELS.items()
            ]
            kind_select: Block = {
                "type": "static_select",
                "action_id": Field.LESSON_KIND,
                "options": kinds,
            }
            if kind is not None:
                kind_select["initial_option"] = kinds[list(KIND_LABELS).index(kind)]
            blocks.append(_input(Field.LESSON_KIND, "Kind", kind_select))
            blocks.append(
                _input(
                    Field.LESSON_TAGS,
                    "Tags",
                    {
                        "type": "plain_text_input",
                        "action_id": Field.LESSON_TAGS,
                        "placeholder": _plain("deploys, database"),
                        "max_length": 300,
                    },
                    optional=True,
                )
            )
        reviews = [
            {"text": _plain(f"Post-mortem: {pm.title}"), "value": str(pm.id)}
            for pm in postmortems[: OPTIONS_LIMIT - 1]
        ]
        options = [*reviews, {"text": _plain("This channel's running log"), "value": RUNNING_LOG}]
        blocks.append(
            _input(
                Field.LESSON_REVIEW,
                "Belongs to",
                {
                    "type": "static_select",
                    "action_id": Field.LESSON_REVIEW,
                    "options": options,
                    "initial_option": options[0],
                },
            )
        )
        return {
            "type": "modal",
            "callback_id": view_id,
            "private_metadata": json.dumps(metadata)[:3000],
            "title": _plain("Save as lesson" if is_lesson else "Add to timeline"),
            "submit": _plain("Save" if is_lesson else "Add"),
            "close": _plain("Cancel"),
            "blocks": blocks,
        }

    def home_sections(self, home: Home, *, user_id: str) -> list[HomeSection]:
        return [
            HomeSection(
                "Open post-mortems I am in",
                self._t.slack(
                    "home", section="postmortems", postmortems=home.postmortems, user_id=user_id
                ),
            ),
            HomeSection(
                "Recent lessons", self._t.slack("home", section="lessons", hits=home.lessons)
            ),
        ]


def home_view(sections: Sequence[HomeSection]) -> dict[str, Any]:
    """The Home tab: a header and the text of each section, within Slack's 100 blocks."""
    blocks: list[Block] = []
    for section in sections:
        part: list[Block] = [
            {"type": "header", "text": {"type": "plain_text", "text": truncate(section.title, 150)}}
        ]
        if section.text.strip():
            part += [_section(chunk) for chunk in split_text(section.text, SECTION_LIMIT)[:5]]
        part += section.blocks
        part.append({"type": "divider"})
        if len(blocks) + len(part) > HOME_BLOCKS_LIMIT:
            break
        blocks += part
    return {"type": "home", "blocks": blocks}


PAGE_OFFSET_LIMIT = 10_000  # far past any real library; a larger offset names no page


def read_page_value(value: Any) -> tuple[int, str]:
    """Where a results page starts and the words searched for. A value that is not ours
    is refused politely; an offset past the end is capped (the search says "no more")."""
    offset, _, query = str(value or "").partition("|")
    if not (offset.isascii() and offset.isdigit()):
        raise StaleRequest(UNREADABLE)
    return min(int(offset), PAGE_OFFSET_LIMIT), query


def _page_button(label: str, offset: int, query: str) -> Block:
    return _button(label, ActionId.LESSONS_PAGE, f"{offset}|{query}")
