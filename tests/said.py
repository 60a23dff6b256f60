"""Replies as a front end hands them to the services, written compactly in tests."""

from __future__ import annotations

import re

from models.core.text import Mention, Said

# A test's shorthand for a mention, not any platform's markup: "@U0CAI" names person U0CAI.
_PERSON = re.compile(r"@([UW][A-Z0-9]{2,})\b")


def said(text: str) -> Said:
    """`text` with each `@U…` word a mention of that person, placeholder and all."""
    mentions = tuple(Mention(m[1], m.start(), m.end()) for m in _PERSON.finditer(text))
    return Said(text, mentions)
