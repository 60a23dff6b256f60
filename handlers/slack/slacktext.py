"""Turning Slack's message markup into the plain text Lessonloop stores, and back.

Slack sends user text with `&`, `<`, `>` escaped and with mentions, channels and links as
`<...>` markup. We store what a person would read: `<@U123>` becomes `@U123`, `<!channel>`
becomes `@channel`, links keep their address. Anything echoed is escaped again on the way
out (templates.escape_mrkdwn), so stored text never turns back into a live mention.
https://api.slack.com/reference/surfaces/formatting#retrieving-messages
"""

from __future__ import annotations

import re

from models.core.text import MESSAGE_LIMIT, clean_text

_MARKUP = re.compile(r"<([^<>]*)>")


def to_plain(text: str) -> str:
    """Also cleaned (models.core.text.clean_text): every text read from Slack passes here once."""
    return clean_text(_unescape(_MARKUP.sub(_plain_markup, text)), limit=MESSAGE_LIMIT)


def _plain_markup(match: re.Match[str]) -> str:
    inner = match[1]
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return target
    if target.startswith("#"):
        return f"#{label}" if label else target
    if target.startswith("!subteam^"):
        return label or "@group"
    if target.startswith("!date^"):
        return label
    if target.startswith("!"):
        return "@" + target[1:]
    if label:
        return f"{label} ({target})"
    return target.removeprefix("mailto:")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def truncate(text: str, limit: int, marker: str = "… (truncated)") -> str:
    if len(text) <= limit:
        return text
    if limit <= len(marker):  # no room for the marker: a negative cut would keep the text
        return text[:limit]
    return text[: limit - len(marker)].rstrip() + marker


def split_text(text: str, limit: int) -> list[str]:
    """Split on line breaks into chunks of at most `limit` characters, hard-splitting
    lines that are longer on their own; never splits inside an `&amp;`-style entity."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = _safe_cut(line, limit)
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


def _safe_cut(line: str, limit: int) -> int:
    amp = line.rfind("&", max(0, limit - 6), limit)
    if amp != -1 and ";" not in line[amp:limit]:
        return amp
    return limit
