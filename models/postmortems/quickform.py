"""The action form people type in a thread: `action: rotate the db credentials @dana by friday`,
where @dana is a mention the front end read (models.core.text.Said)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from models.core.dates import MAX_DATE_WORDS, UnreadableDate, parse_due_date
from models.core.errors import Reason, UserFacingError
from models.core.text import Said

_PREFIX = re.compile(r"^\s*(?:action|todo|to do|ai)\s*[:\-]\s*", re.IGNORECASE)
_DUE_WORD = re.compile(r"(?:^|\s)(?:by|due|before|until)\s+", re.IGNORECASE)
_DATE_PADDING = re.compile(r"[ .!]*+")


@dataclass(frozen=True, slots=True)
class QuickAction:
    description: str
    owner_id: str | None
    target_on: date | None


def is_quick_action(text: str) -> bool:
    return bool(_PREFIX.match(text))


def quick_action_body(text: str) -> str:
    """What follows the `action:` prefix."""
    return _PREFIX.sub("", text, count=1).strip()


def parse_quick_action(said: Said, *, today: date) -> QuickAction:
    """The owner is the first person mentioned after the prefix; their mention leaves the
    description. Raises UnreadableDate when a due date is given but cannot be read, and
    UserFacingError(ACTION_NOTHING_TO_DO) when nothing is left to do."""
    text = said.text
    prefix = _PREFIX.match(text)
    after_prefix = prefix.end() if prefix else 0
    owner = next((m for m in said.mentions if m.start >= after_prefix), None)
    if owner is not None:
        text = text[: owner.start] + text[owner.end :]
    body = " ".join(quick_action_body(text).split())
    description, target_on = _split_due_date(body, today)
    description = description.strip(" ,;-.")
    if not description:
        raise UserFacingError(reason=Reason.ACTION_NOTHING_TO_DO)
    return QuickAction(
        description=description,
        owner_id=owner.ref if owner is not None else None,
        target_on=target_on,
    )


def _split_due_date(body: str, today: date) -> tuple[str, date | None]:
    """The due date is what follows the last `by`/`due`/`before`/`until` that reads as a
    date (`stop patching by hand by friday`); earlier ones belong to the description.
    Raises UnreadableDate when the last one looks like a date but is not one."""
    matches = list(_DUE_WORD.finditer(body))
    end = len(body.rstrip(" .!"))
    for position, match in enumerate(reversed(matches)):
        start = _DATE_PADDING.match(body, match.end())
        # Earlier candidates only get longer: once one is too long to be a date, stop, so
        # "by hand " * 6,250 is not re-read 6,250 times.
        if start is None or body.count(" ", start.end(), end) >= MAX_DATE_WORDS:
            break
        when = body[match.end() :].strip(" .!")
        try:
            return body[: match.start()], parse_due_date(when, today=today)
        except UnreadableDate:
            if position == 0 and _looks_like_a_date(when):
                raise
    return body, None


def _looks_like_a_date(words: str) -> bool:
    """`by fridya` is a date even when misspelt; `by hand` or `by the DBA team` is not."""
    first = words.lower().split(" ", 1)[0]
    return len(words.split()) <= 3 and first not in {"the", "a", "an", "hand", "someone"}
