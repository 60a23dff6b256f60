"""Text arriving from outside, made safe to analyse and to store.

Slack delivers JSON, which can carry lone surrogates (`"\\ud800"`) that UTF-8 cannot encode,
and NUL bytes that PostgreSQL's `text` refuses; either would make a reply fail to save.
Every text a person typed goes through `clean_text` once, where
it enters the app, so nothing later has to think about it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# Slack's own maximum for a message's text; longer text is cut with TRUNCATION_MARKER.
# https://api.slack.com/methods/chat.postMessage#truncating
MESSAGE_LIMIT: Final = 40_000
# A plain-text input element of a modal holds at most 3,000 characters.
MODAL_INPUT_LIMIT: Final = 3_000
TRUNCATION_MARKER: Final = "… [truncated]"

_SURROGATE: Final = re.compile("[\ud800-\udfff]")
# C0 and C1 control characters and DEL, except tab and newline: invisible, meaningless in a
# chat message, and NUL cannot be stored in PostgreSQL.
_CONTROL: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str, *, limit: int) -> str:
    """`text` with lone surrogates replaced by U+FFFD, control characters other than tab
    and newline removed (carriage returns become `\\n`), and, when longer than `limit`
    characters, cut so that with TRUNCATION_MARKER appended it is exactly `limit` long.
    The result always encodes to UTF-8."""
    if limit < len(TRUNCATION_MARKER):
        raise ValueError(f"limit must leave room for the marker, got {limit}")
    if _SURROGATE.search(text):
        # A high surrogate followed by a low one is a real character split in two: join the
        # pair; any other surrogate becomes U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if "\r" in text:  # a lone carriage return is a line break, not a character to drop
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if len(text) > limit:
        text = text[: limit - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER
    return text


# A tag is `#word`, not part of a word or an HTML entity (`&#39;`).
_TAG = re.compile(r"(?<![\w&#])#([a-z0-9][a-z0-9_-]{1,39})", re.IGNORECASE)


def tags_in(text: str) -> list[str]:
    """The `#tags` in a text, lower-cased, sorted, each once."""
    return sorted({tag.lower() for tag in _TAG.findall(text)})


@dataclass(frozen=True, slots=True)
class Mention:
    """A person or conversation named in a message, by its opaque reference on the message's
    platform. `said.text[start:end]` is the readable placeholder written in its place (the
    label the platform gave, such as "@marco" or "#deploys", or the reference itself)."""

    ref: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Said:
    """What a person wrote, read once from the platform's markup by its front end: plain text
    a person would read, and who and which conversations it names, where. Nothing in models/
    reads a platform's markup; it reads this."""

    text: str
    mentions: tuple[Mention, ...] = ()  # people
    conversations: tuple[Mention, ...] = ()

    def conversation_at(self, start: int) -> Mention | None:
        """The conversation linked at `start` in `text`, if any."""
        return next((c for c in self.conversations if c.start == start), None)
