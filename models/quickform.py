"""The action form people type in a thread: `action: rotate the db credentials @U123 by friday`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from models.dates import UnreadableDate, parse_due_date

# Mentions reach the domain as `@U0123ABCD` (see handlers.slacktext.to_plain).
MENTION = re.compile(r"@([UW][A-Z0-9]{2,})\b")
_PREFIX = re.compile(r"^\s*(?:action|todo|to do|ai)\s*[:\-]\s*", re.IGNORECASE)
_DUE = re.compile(r"\s+(?:by|due|before|until)\s+(?P<when>[^@]+?)\s*[.!]?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class QuickAction:
    description: str
    owner_id: str | None
    target_on: date | None


def is_quick_action(text: str) -> bool:
    return bool(_PREFIX.match(text))


def parse_quick_action(text: str, *, today: date) -> QuickAction:
    """Raises UnreadableDate when a due date is given but cannot be read, and ValueError
    when nothing is left to do."""
    body = _PREFIX.sub("", text, count=1).strip()
    owners = MENTION.findall(body)
    owner_id = owners[0] if owners else None
    target_on = None
    if match := _DUE.search(body):
        when = match["when"]
        try:
            target_on = parse_due_date(when, today=today)
        except UnreadableDate:
            if _looks_like_a_date(when):
                raise
        else:
            body = body[: match.start()]
    if owner_id is not None:
        body = MENTION.sub(lambda m: "" if m[1] == owner_id else m[0], body, count=1)
    description = " ".join(body.split()).strip(" ,;-")
    if not description:
        raise ValueError("Say what needs doing after `action:`.")
    return QuickAction(description=description, owner_id=owner_id, target_on=target_on)


def _looks_like_a_date(words: str) -> bool:
    """`by friday` is a date even when misspelt; `by hand` or `by the DBA team` is not."""
    return len(words.split()) <= 4 and not words.lower().startswith(("the ", "a ", "an ", "hand"))
