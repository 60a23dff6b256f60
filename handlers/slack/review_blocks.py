"""Block Kit for follow-through: schedules, action listings with update buttons, agendas.

A sibling of handlers/slack/blocks.py (same helpers and limits), kept apart so the feature is
one set of modules. An action takes two blocks (its section and its buttons), so a
message shows at most INTERACTIVE_ACTIONS with buttons and lists the rest as text.
https://api.slack.com/reference/block-kit/block-elements#datepicker
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from handlers.slack.blocks import (
    BLOCKS_PER_MESSAGE,
    ID_LIMIT,
    SECTION_LIMIT,
    Block,
    Blocks,
    Message,
    _button,
    _input,
    _message,
    _plain,
    _section,
    paginate,
    read_id,
)
from handlers.slack.ids import ActionId, Field, ViewId
from handlers.slack.lesson_blocks import HomeSection
from handlers.slack.slacktext import split_text, truncate
from models.actions.views import ActionView
from models.core.errors import Reason, StaleRequest
from models.followup.views import AgendaView, ListingView, ScheduleView, Scope

INTERACTIVE_ACTIONS = 20
AGENDA_PER_OWNER = 10
VALUE_LIMIT = 255


class Intro(StrEnum):
    REMINDER = "reminder"
    FOLLOWUP = "followup"
    OVERDUE = "overdue"
    LISTING = "listing"


class ReviewBlocks:
    def __init__(self, blocks: Blocks) -> None:
        self._t = blocks.templates

    def schedule(
        self, schedule: ScheduleView | None, *, by_user: str | None = None, removed: bool = False
    ) -> Message:
        return _message(
            self._t.slack("review_schedule", schedule=schedule, by_user=by_user, removed=removed)
        )

    def action_list(self, listing: ListingView, *, intro: Intro, viewer: str) -> Message:
        header = self._t.slack("action_list", listing=listing, intro=intro.value, viewer=viewer)
        blocks: list[Block] = [_section(chunk) for chunk in split_text(header, SECTION_LIMIT)][:3]
        show_owner = listing.scope.subject != viewer
        shown = listing.actions[:INTERACTIVE_ACTIONS]
        for action in shown:
            blocks.append(_section(self._item(action, listing, show_owner=show_owner)))
            if not action.status.is_closed:
                buttons = update_buttons(action, listing.scope)
                # Linking it to a key result (handlers/slack/okrs.py) opens a form.
                buttons["elements"].append(
                    _button("Serves a key result…", ActionId.OKR_SERVE, str(action.id))
                )
                blocks.append(buttons)
        rest = listing.actions[INTERACTIVE_ACTIONS:]
        if rest:
            lines = "\n".join(
                self._item(a, listing, show_owner=show_owner).replace("\n", " ") for a in rest
            )
            room = BLOCKS_PER_MESSAGE - len(blocks) - 1
            blocks.extend(_section(c) for c in split_text(lines, SECTION_LIMIT)[:room])
        if listing.total > len(shown):
            blocks.append(
                _context(
                    f"Buttons on the first {len(shown)} of {listing.total}; "
                    "update those and run `/actions` again for the next ones."
                )
            )
        return {"text": truncate(header, 3000), "blocks": blocks[:BLOCKS_PER_MESSAGE]}

    def next_reviews(self, schedules: Sequence[ScheduleView]) -> HomeSection:
        """The Home tab's section on when each of my channels next meets."""
        return HomeSection(
            "Next reviews of my channels",
            self._t.slack("home", section="reviews", schedules=schedules),
        )

    def agenda(self, agenda: AgendaView) -> list[Message]:
        return paginate(self._t.slack("review_agenda", agenda=agenda, per_owner=AGENDA_PER_OWNER))

    def note_modal(self, *, blocked: bool, context: dict[str, Any]) -> dict[str, Any]:
        label = "What is blocking it?" if blocked else "Your note"
        title = "Blocked" if blocked else "Add a note"
        note = {
            "type": "plain_text_input",
            "action_id": Field.NOTE,
            "multiline": True,
            "max_length": 500,
        }
        blocks: list[Block] = [_input(Field.NOTE, label, note)]
        return {
            "type": "modal",
            "callback_id": ViewId.UPDATE_BLOCKED if blocked else ViewId.UPDATE_NOTE,
            "private_metadata": json.dumps(context)[:3000],
            "title": _plain(title),
            "submit": _plain("Save"),
            "close": _plain("Cancel"),
            "blocks": blocks,
        }

    def _item(self, action: ActionView, listing: ListingView, *, show_owner: bool) -> str:
        return self._t.slack(
            "action_item",
            action=action,
            today=listing.today,
            updated=action.id in listing.updated,
            show_owner=show_owner,
        )


def update_value(action_id: int, scope: Scope) -> str:
    return f"{action_id}|{scope.encode()}"[:VALUE_LIMIT]


def read_update_value(value: Any) -> tuple[int, Scope]:
    action_id, _, scope = str(value or "").partition("|")
    try:
        decoded = Scope.decode(scope)
        if decoded.review_id is not None and not 0 < decoded.review_id < ID_LIMIT:
            raise ValueError(decoded.review_id)
        return read_id(action_id), decoded
    except (ValueError, StaleRequest):
        raise StaleRequest(reason=Reason.OLD_LISTING) from None


def update_buttons(action: ActionView, scope: Scope) -> Block:
    value = update_value(action.id, scope)
    picker: Block = {
        "type": "datepicker",
        "action_id": ActionId.UPDATE_DATE,
        "placeholder": _plain("Change date"),
    }
    if action.target_on is not None:
        picker["initial_date"] = action.target_on.isoformat()
    return {
        "type": "actions",
        # The datepicker sends no value, so the block carries the same context.
        "block_id": value,
        "elements": [
            _button("Done", ActionId.UPDATE_DONE, value, style="primary"),
            _button("In progress", ActionId.UPDATE_IN_PROGRESS, value),
            _button("Blocked", ActionId.UPDATE_BLOCKED, value),
            picker,
            _button("Add a note", ActionId.UPDATE_NOTE, value),
        ],
    }


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
