"""Teams markup in and out.

In: a message's `text` is HTML (`<p>`, `<at>Name</at>` for a mention named in the
activity's entities, entities such as `&nbsp;`). It is read once into `Said`: plain text,
each mention written as "@Name" with the person's reference. Out: what a person typed is
only ever placed where Teams reads it as plain text (an Adaptive Card TextRun, which takes
no Markdown) or HTML-escaped in a message's text, so it can neither mention anyone nor
inject markup.
"""

from __future__ import annotations

import html
import re
from typing import Any, Final

from models.core.text import MESSAGE_LIMIT, Mention, Said, clean_text

_AT: Final = re.compile(r"<at\b[^<>]{0,200}>([^<]{0,500})</at>", re.IGNORECASE)
_BREAK: Final = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)
_TAG: Final = re.compile(r"<[^>]{0,2000}>")
_SPACES: Final = re.compile(r"[ \t\u00a0]+")


def read(text: str | None, entities: list[dict[str, Any]] | None, *, bot_id: str) -> Said:
    """Plain text and mentions of a Teams message; the app's own mention is left out (it
    is how people address the app in a channel)."""
    names = _mentioned(entities or [])
    pieces: list[str] = []
    mentions: list[Mention] = []
    length, position = 0, 0
    raw = text or ""
    for match in _AT.finditer(raw):
        before = _plain(raw[position : match.start()])
        pieces.append(before)
        length += len(before)
        position = match.end()
        label = _plain(match[1]).strip()
        ref = names.get(match[0]) or names.get(label)
        if ref == bot_id:
            continue
        written = "@" + label
        pieces.append(written)
        if ref is not None:
            mentions.append(Mention(ref=ref, start=length, end=length + len(written)))
        length += len(written)
    pieces.append(_plain(raw[position:]))
    joined = "".join(pieces)
    stripped = joined.lstrip()
    shift = len(joined) - len(stripped)
    stripped = stripped.rstrip()
    cleaned = clean_text(stripped, limit=MESSAGE_LIMIT)
    kept = tuple(
        Mention(ref=m.ref, start=m.start - shift, end=m.end - shift)
        for m in mentions
        if m.end - shift <= len(cleaned)
    )
    return Said(text=cleaned, mentions=kept)


def _mentioned(entities: list[dict[str, Any]]) -> dict[str, str]:
    """`<at>…</at>` text (and the name alone) -> the reference of who it mentions."""
    found: dict[str, str] = {}
    for entity in entities:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        who = entity.get("mentioned") or {}
        ref = who.get("id")
        if not isinstance(ref, str):
            continue
        if isinstance(entity.get("text"), str):
            found.setdefault(entity["text"], ref)
        if isinstance(who.get("name"), str):
            found.setdefault(who["name"], ref)
    return found


def _plain(fragment: str) -> str:
    """HTML fragment -> the text a person reads (single spaces; line breaks kept)."""
    fragment = _BREAK.sub("\n", fragment)
    fragment = _TAG.sub("", fragment)
    return _SPACES.sub(" ", html.unescape(fragment))


def escaped(text: str) -> str:
    """For a message's `text`, which Teams renders as HTML: `<at>` and tags become text."""
    return html.escape(text, quote=False)
