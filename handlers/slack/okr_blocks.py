"""Block Kit for OKRs: listings, one objective with its check-in buttons, the alignment
tree, the forms and the App Home section. Same rules as blocks.py: builders return
{"text", "blocks"} (views return the view) and Jinja renders the text."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from handlers.slack.blocks import (
    BLOCKS_PER_MESSAGE,
    OPTIONS_LIMIT,
    Block,
    Message,
    _button,
    _message,
    _plain,
    _section,
    paginate,
)
from handlers.slack.ids import ActionId, OkrField, ViewId, kr_field
from handlers.slack.lesson_blocks import HomeSection
from handlers.slack.slacktext import truncate
from models.okrs.checkins import CheckInDm
from models.okrs.measures import MEASURES
from models.okrs.reviews import KeyResultReview, OkrReview
from models.okrs.tables import Confidence, KeyResultKind, Measure
from models.okrs.views import Flag, KeyResultView, ObjectiveView, TreeNode
from templates import Mrkdwn, Templates, escape_mrkdwn
from templates.okr_chart import progress_chart

BAR_WIDTH = 10
KR_SLOTS = 3
# Every key result an objective may have (models.okrs.service.KEY_RESULTS_MAX): at five
# blocks each, the edit form stays within a modal's 100 blocks.
KEY_RESULTS_EDITED = 10
BUTTONS_PER_ACTIONS_BLOCK = 25
PERIODS = {"this": "This quarter", "next": "Next quarter"}
KIND_CHOICES: dict[str, str] = {
    KeyResultKind.NUMBER: "A number",
    KeyResultKind.PERCENT: "A percentage",
    KeyResultKind.MILESTONE: "A milestone (done or not)",
    **{f"measure:{m.value}": f"Measured for you: {label}" for m, (label, _, _) in MEASURES.items()},
}
CONFIDENCE_LABELS: dict[str, str] = {
    Confidence.ON_TRACK: "On track",
    Confidence.AT_RISK: "At risk",
    Confidence.OFF_TRACK: "Off track",
}
FLAG_WORDS = {
    Flag.NO_BASELINE: "no baseline, so progress cannot be told",
    Flag.IMPLAUSIBLE: "the team's own history makes this target unlikely",
    Flag.STALE: "no check-in for two cycles",
}


def bar(fraction: float) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled) + f" {fraction:.0%}"


def number(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}"


def shown(kr: KeyResultView) -> str:
    """The current value against the target, in the key result's unit."""
    if kr.kind is KeyResultKind.MILESTONE:
        return "done" if kr.progress >= 1 else "not done"
    unit = "%" if kr.kind is KeyResultKind.PERCENT else f" {kr.unit}" if kr.unit else ""
    return f"{number(kr.current_value)}{unit} → {number(kr.target_value)}{unit}"


def flagged(kr: KeyResultView) -> str:
    return "; ".join(FLAG_WORDS[flag] for flag in kr.flags)


def trend(review: KeyResultReview) -> str:
    """The confidence over the period: "on track → at risk"."""
    steps = review.confidence_trend
    return " → ".join(step.label for step in steps) if steps else "no check-in"


def notes(review: KeyResultReview) -> str:
    words = [FLAG_WORDS[flag] for flag in review.key_result.flags]
    if review.stalled:
        words.append("stalled")
    return "; ".join(words)


HELPERS = {
    "bar": bar,
    "shown": shown,
    "flagged": flagged,
    "trend": trend,
    "notes": notes,
    "number": number,
    "raw": Mrkdwn,
}


class OkrBlocks:
    def __init__(self, templates: Templates) -> None:
        self._t = templates

    def _text(self, section: str, **context: Any) -> str:
        return self._t.slack("okr", section=section, **HELPERS, **context)

    def help(self) -> Message:
        return _message(self._text("help"))

    def listing(self, *, channel_id: str, objectives: Sequence[ObjectiveView]) -> Message:
        return _message(self._text("list", channel_id=channel_id, objectives=objectives))

    def created(self, objective: ObjectiveView) -> Message:
        return _message(self._text("created", objective=objective))

    def tree(self, roots: Sequence[TreeNode]) -> Message:
        return _message(self._text("tree", roots=roots))

    def objective(
        self, objective: ObjectiveView, *, parent: ObjectiveView | None = None
    ) -> Message:
        """The objective, then each key result with what serves it and a check-in button."""
        head = self._text("objective", objective=objective, parent=parent)
        blocks: list[Block] = [
            _section(truncate(head, 3000)),
            # Offered to everyone who sees the objective; only its owner gets the form.
            {
                "type": "actions",
                "elements": [_button("Edit", ActionId.OKR_EDIT, str(objective.id))],
            },
        ]
        for kr in objective.key_results[: BLOCKS_PER_MESSAGE - 2]:
            block = _section(truncate(self._text("key_result", kr=kr), 3000))
            block["accessory"] = _button("Check in", ActionId.OKR_CHECK_IN, str(kr.id))
            blocks.append(block)
            if len(blocks) < BLOCKS_PER_MESSAGE:
                blocks.append(
                    {
                        "type": "actions",
                        "elements": [
                            _button("Link an action or lesson", ActionId.OKR_LINK, str(kr.id))
                        ],
                    }
                )
        return {"text": truncate(head, 3000), "blocks": blocks}

    def link_modal(
        self,
        kr: KeyResultView,
        *,
        actions: Sequence[tuple[int, str]],
        lessons: Sequence[tuple[int, str]],
    ) -> dict[str, Any]:
        blocks: list[Block] = [_section(self._text("key_result", kr=kr))]
        for field, label, choices in (
            (OkrField.LINK_ACTION, "An action that serves it", actions),
            (OkrField.LINK_LESSON, "A lesson behind it", lessons),
        ):
            if choices:
                blocks.append(
                    _input(
                        field,
                        label,
                        _select(field, {str(i): text for i, text in choices[:OPTIONS_LIMIT]}),
                        optional=True,
                    )
                )
        return {
            "type": "modal",
            "callback_id": ViewId.OKR_LINK,
            "private_metadata": json.dumps({"kr": kr.id}),
            "title": _plain("Link to a key result"),
            "submit": _plain("Link"),
            "close": _plain("Cancel"),
            "blocks": blocks,
        }

    def review(self, review: OkrReview) -> list[Message]:
        return paginate(self._text("review", review=review))

    def review_files(self, review: OkrReview, channel_name: str) -> list[dict[str, Any]]:
        """The chart (PNG), and the review as Markdown and as a printable web page."""
        chart = progress_chart(
            [(k.key_result.title, k.points()) for o in review.objectives for k in o.key_results],
            title=f"Key results of {channel_name}: progress to target",
        )
        context = {
            "review": review,
            "channel_name": channel_name,
            "chart_uri": "data:image/png;base64," + base64.b64encode(chart).decode(),
            **HELPERS,
        }
        stem = f"okr-review-{slug(channel_name)}-{review.at:%Y-%m-%d}"
        return [
            {"filename": f"{stem}-progress.png", "title": "OKR progress", "content": chart},
            *(
                {
                    "filename": f"{stem}.{fmt}",
                    "title": f"OKR review ({label})",
                    "content": self._t.document("okr_review", fmt, **context).encode(),
                }
                for fmt, label in (("md", "Markdown"), ("html", "HTML"))
            ),
        ]

    def check_in_dm(self, dm: CheckInDm, *, intro: str = "ask") -> Message:
        """The owner's check-in DM: each key result with a Check in button until it is
        answered (intro "ask", edited in place), or only the waiting ones ("followup")."""
        head = self._text("dm", dm=dm, intro=intro)
        blocks: list[Block] = [_section(head)]
        shown = dm.waiting if intro == "followup" else dm.key_results
        for kr in shown[: BLOCKS_PER_MESSAGE - 1]:
            line = self._text("key_result", kr=kr)
            if kr.id in dm.answered:
                blocks.append(_section(truncate(f":white_check_mark: {line}", 3000)))
                continue
            block = _section(truncate(line, 3000))
            block["accessory"] = _button("Check in", ActionId.OKR_CHECK_IN, str(kr.id), "primary")
            blocks.append(block)
        return {"text": truncate(head, 3000), "blocks": blocks}

    def home_section(self, objectives: Sequence[ObjectiveView], *, user_id: str) -> HomeSection:
        mine = [kr for o in objectives for kr in o.key_results if kr.owner_id == user_id]
        buttons = [
            _button(f"Check in: {kr.title}", ActionId.OKR_CHECK_IN, str(kr.id))
            for kr in mine[:BUTTONS_PER_ACTIONS_BLOCK]
        ]
        blocks = ({"type": "actions", "elements": buttons},) if buttons else ()
        return HomeSection("My OKRs", self._text("home", objectives=objectives), blocks=blocks)

    def create_modal(
        self, *, channel_id: str, owner_id: str, parents: Sequence[ObjectiveView]
    ) -> dict[str, Any]:
        blocks: list[Block] = [
            _input(OkrField.TITLE, "Objective", _text_input(OkrField.TITLE, 300)),
            _input(
                OkrField.OWNER,
                "Owner",
                {"type": "users_select", "action_id": OkrField.OWNER, "initial_user": owner_id},
            ),
            _input(
                OkrField.PERIOD,
                "Period",
                _select(OkrField.PERIOD, PERIODS, initial="this"),
            ),
            _input(
                OkrField.STARTS,
                "Or from (a date instead of a quarter)",
                {"type": "datepicker", "action_id": OkrField.STARTS},
                optional=True,
            ),
            _input(
                OkrField.ENDS,
                "Until",
                {"type": "datepicker", "action_id": OkrField.ENDS},
                optional=True,
            ),
        ]
        if parents:
            choices = {str(o.id): f"#{o.id} {o.title}" for o in parents[:OPTIONS_LIMIT]}
            blocks.append(
                _input(
                    OkrField.PARENT,
                    "Serves (another team's objective)",
                    _select(OkrField.PARENT, choices),
                    optional=True,
                )
            )
        for slot in range(1, KR_SLOTS + 1):
            optional = slot > 1
            blocks += [
                {"type": "header", "text": _plain(f"Key result {slot}")},
                _input(
                    kr_field(slot, OkrField.KR_TITLE),
                    "What is measured",
                    _text_input(kr_field(slot, OkrField.KR_TITLE), 300),
                    optional=optional,
                ),
                _input(
                    kr_field(slot, OkrField.KR_KIND),
                    "Kind",
                    _select(kr_field(slot, OkrField.KR_KIND), KIND_CHOICES, initial="number"),
                    optional=optional,
                ),
                _input(
                    kr_field(slot, OkrField.KR_START),
                    "Start value (the baseline)",
                    _text_input(kr_field(slot, OkrField.KR_START), 20),
                    optional=True,
                ),
                _input(
                    kr_field(slot, OkrField.KR_TARGET),
                    "Target",
                    _text_input(kr_field(slot, OkrField.KR_TARGET), 20),
                    optional=True,
                ),
                _input(
                    kr_field(slot, OkrField.KR_UNIT),
                    "Unit",
                    _text_input(kr_field(slot, OkrField.KR_UNIT), 32),
                    optional=True,
                ),
                _input(
                    kr_field(slot, OkrField.KR_OWNER),
                    "Owner (the objective's owner if empty)",
                    {"type": "users_select", "action_id": kr_field(slot, OkrField.KR_OWNER)},
                    optional=True,
                ),
            ]
        return {
            "type": "modal",
            "callback_id": ViewId.OKR_CREATE,
            "private_metadata": json.dumps({"c": channel_id}),
            "title": _plain("New objective"),
            "submit": _plain("Create"),
            "close": _plain("Cancel"),
            "blocks": blocks,
        }

    def edit_modal(
        self, objective: ObjectiveView, *, parents: Sequence[ObjectiveView]
    ) -> dict[str, Any]:
        """The objective's title, owner and parent, and each key result's title, owner,
        target and confidence, filled in as they are."""
        title = _text_input(OkrField.TITLE, 300) | {"initial_value": objective.title}
        blocks: list[Block] = [
            _input(OkrField.TITLE, "Objective", title),
            _input(
                OkrField.OWNER,
                "Owner",
                {
                    "type": "users_select",
                    "action_id": OkrField.OWNER,
                    "initial_user": objective.owner_id,
                },
            ),
        ]
        choices = {
            str(o.id): truncate(f"#{o.id} {o.title}", 75)
            for o in parents[:OPTIONS_LIMIT]
            if o.id != objective.id
        }
        if choices:
            initial = str(objective.parent_id) if str(objective.parent_id) in choices else None
            blocks.append(
                _input(
                    OkrField.PARENT,
                    "Serves (another team's objective)",
                    _select(OkrField.PARENT, choices, initial=initial),
                    optional=True,
                )
            )
        for slot, kr in enumerate(objective.key_results[:KEY_RESULTS_EDITED], start=1):
            kr_title = _text_input(kr_field(slot, OkrField.KR_TITLE), 300)
            blocks += [
                {"type": "header", "text": _plain(truncate(f"Key result {slot}", 150))},
                _input(
                    kr_field(slot, OkrField.KR_TITLE),
                    "What is measured",
                    kr_title | {"initial_value": kr.title},
                ),
                _input(
                    kr_field(slot, OkrField.KR_OWNER),
                    "Owner",
                    {
                        "type": "users_select",
                        "action_id": kr_field(slot, OkrField.KR_OWNER),
                        "initial_user": kr.owner_id,
                    },
                ),
            ]
            if kr.kind is not KeyResultKind.MILESTONE:
                target = _text_input(kr_field(slot, OkrField.KR_TARGET), 20)
                blocks.append(
                    _input(
                        kr_field(slot, OkrField.KR_TARGET),
                        "Target",
                        target | {"initial_value": number(kr.target_value)},
                    )
                )
            blocks.append(
                _input(
                    kr_field(slot, OkrField.KR_CONFIDENCE),
                    "Confidence",
                    _select(
                        kr_field(slot, OkrField.KR_CONFIDENCE),
                        CONFIDENCE_LABELS,
                        initial=kr.confidence,
                    ),
                )
            )
        key_results = [kr.id for kr in objective.key_results[:KEY_RESULTS_EDITED]]
        return {
            "type": "modal",
            "callback_id": ViewId.OKR_EDIT,
            "private_metadata": json.dumps({"o": objective.id, "krs": key_results}),
            "title": _plain("Edit objective"),
            "submit": _plain("Save"),
            "close": _plain("Cancel"),
            "blocks": blocks,
        }

    def serve_modal(
        self,
        *,
        action_id: int,
        description: str,
        serves: int | None,
        choices: Sequence[tuple[ObjectiveView, KeyResultView]],
    ) -> dict[str, Any]:
        """Which of its channel's current key results an action serves."""
        blocks: list[Block] = [_section(truncate(f"*Action:* {escape_mrkdwn(description)}", 3000))]
        if choices:
            options = {
                str(kr.id): truncate(f"{kr.title} ({objective.title})", 75)
                for objective, kr in choices[:OPTIONS_LIMIT]
            }
            initial = str(serves) if str(serves) in options else None
            blocks.append(
                _input(
                    OkrField.SERVES,
                    "Key result it serves",
                    _select(OkrField.SERVES, options, initial=initial),
                )
            )
        else:
            blocks.append(_section("Its channel has no current key results to serve."))
        modal: dict[str, Any] = {
            "type": "modal",
            "callback_id": ViewId.OKR_SERVE,
            "private_metadata": json.dumps({"a": action_id}),
            "title": _plain("Serve a key result"),
            "close": _plain("Cancel"),
            "blocks": blocks,
        }
        if choices:
            modal["submit"] = _plain("Link")
        return modal

    def check_in_modal(self, kr: KeyResultView) -> dict[str, Any]:
        blocks: list[Block] = [_section(self._text("key_result", kr=kr))]
        if kr.measure is not None:
            blocks.append(
                {
                    "type": "context",
                    "elements": [
                        {
                            "type": "mrkdwn",
                            "text": "Lessonloop measures this one from the channel's records "
                            "when you check in.",
                        }
                    ],
                }
            )
        elif kr.kind is KeyResultKind.MILESTONE:
            blocks.append(
                _input(
                    OkrField.VALUE,
                    "Done?",
                    _select(
                        OkrField.VALUE,
                        {"1": "Done", "0": "Not done"},
                        initial="1" if kr.progress >= 1 else "0",
                    ),
                )
            )
        else:
            value = _text_input(OkrField.VALUE, 20)
            if kr.current_value is not None:
                value["initial_value"] = number(kr.current_value)
            blocks.append(_input(OkrField.VALUE, "New value", value))
        blocks += [
            _input(
                OkrField.CONFIDENCE,
                "Confidence",
                _select(OkrField.CONFIDENCE, CONFIDENCE_LABELS, initial=kr.confidence),
            ),
            _input(
                OkrField.NOTE,
                "Note",
                {**_text_input(OkrField.NOTE, 2000), "multiline": True},
                optional=True,
            ),
        ]
        return {
            "type": "modal",
            "callback_id": ViewId.OKR_CHECK_IN,
            "private_metadata": json.dumps({"kr": kr.id}),
            "title": _plain("Check in"),
            "submit": _plain("Save"),
            "close": _plain("Cancel"),
            "blocks": blocks,
        }


def slug(title: str) -> str:
    """A file-name-safe slug (as handlers/slack/reports.py makes them)."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "untitled"


def measure_of(kind: str) -> Measure | None:
    """The measure a kind choice names ("measure:<value>"), if it names one."""
    prefix, _, value = kind.partition(":")
    return Measure(value) if prefix == "measure" and value in set(Measure) else None


def period_of(choice: str, today: date) -> date:
    """A day inside the period chosen: today, or a day of the next quarter."""
    if choice == "next":
        month = (today.month - 1) // 3 * 3 + 4
        return date(today.year + (month > 12), (month - 1) % 12 + 1, 1)
    return today


def _input(block_id: str, label: str, element: Block, *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": element,
        "optional": optional,
    }


def _text_input(action_id: str, max_length: int) -> Block:
    return {"type": "plain_text_input", "action_id": action_id, "max_length": max_length}


def _select(action_id: str, choices: dict[str, str], *, initial: str | None = None) -> Block:
    options = [{"text": _plain(label), "value": value} for value, label in choices.items()]
    select: Block = {"type": "static_select", "action_id": action_id, "options": options}
    if initial is not None:
        select["initial_option"] = next(o for o in options if o["value"] == initial)
    return select
