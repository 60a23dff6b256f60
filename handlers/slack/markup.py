"""Slack's message markup, read once into a platform-neutral `Said` and written back.

Slack sends user text with `&`, `<`, `>` escaped and with mentions, channels, links and
special mentions as `<...>` markup, and emoji as `:name:`. `read` turns it into what a person
would read plus who and which channels it names: `<@U123>` becomes the placeholder `@U123`
(or `@marco` when Slack gave a label) recorded as a mention of U123, `<#C123|deploys>`
becomes `#deploys` recorded as a link to C123, `<!channel>` becomes `@channel`, links keep
their address, and emoji Slack names become the Unicode characters they stand for (custom
emoji stay as typed). Nothing in models/ reads Slack markup; it reads the `Said`.
https://api.slack.com/reference/surfaces/formatting#retrieving-messages

`write` is the way back: mentions become live `<@U…>` again and everything else is escaped
(templates.escape_mrkdwn), so stored text never turns into a mention by itself.
"""

from __future__ import annotations

import re
import sys
from typing import Final

import emoji

from models.core.text import MESSAGE_LIMIT, TRUNCATION_MARKER, Mention, Said, clean_text
from templates import Mrkdwn, channel, escape_mrkdwn, mention

# Markup never contains "<" or ">": one pass over the text, however many unclosed "<" it holds.
_MARKUP: Final = re.compile(r"<([^<>]*)>")
_EMOJI: Final = re.compile(r":([a-z0-9_+\-']+):")
_SKIN_TONES: Final = {f"skin-tone-{n}": chr(0x1F3FB + n - 2) for n in range(2, 7)}
# Slack's names that the emoji package spells differently or does not know.
_SLACK_NAMES: Final = {
    "face_palm": "\U0001f926",
    "eye_roll": "\U0001f644",
    "eyeroll": "\U0001f644",
    "rolling_eyes": "\U0001f644",
}


def _emoji_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for character, data in emoji.EMOJI_DATA.items():
        for name in (data["en"], *data.get("alias", ())):
            names.setdefault(name.strip(":"), character)
    return names | _SKIN_TONES | _SLACK_NAMES


_EMOJI_NAMES: Final = _emoji_names()


def read(text: str) -> Said:
    """`text` from Slack as plain text with its mentions and channel links, cleaned
    (models.core.text.clean_text) and cut at MESSAGE_LIMIT like every text read from Slack."""
    parts: list[str] = []
    mentions: list[Mention] = []
    conversations: list[Mention] = []
    length = 0

    def add(piece: str) -> None:
        nonlocal length
        parts.append(piece)
        length += len(piece)

    position = 0
    for match in _MARKUP.finditer(text):
        add(_plain(text[position : match.start()]))
        target, _, label = match[1].partition("|")
        label = _plain(label)
        if target.startswith("@") and len(target) > 1:
            placeholder = f"@{label.removeprefix('@')}" if label else _unescaped(target)
            mentions.append(Mention(target[1:], length, length + len(placeholder)))
            add(placeholder)
        elif target.startswith("#") and len(target) > 1:
            placeholder = f"#{label}" if label else _unescaped(target)
            conversations.append(Mention(target[1:], length, length + len(placeholder)))
            add(placeholder)
        else:
            add(_other(target, label))
        position = match.end()
    add(_plain(text[position:]))
    plain = "".join(parts)
    if len(plain) > MESSAGE_LIMIT:
        plain = plain[: MESSAGE_LIMIT - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER
        kept = MESSAGE_LIMIT - len(TRUNCATION_MARKER)
        mentions = [m for m in mentions if m.end <= kept]
        conversations = [c for c in conversations if c.end <= kept]
    return Said(plain, tuple(mentions), tuple(conversations))


def read_plain(text: str) -> str:
    """Only the plain text of `read(text)`: for commands that name nobody."""
    return read(text).text


def _plain(segment: str) -> str:
    """Text outside markup: unescaped, emoji as characters, cleaned. Cleaning piece by piece
    keeps every mention's position right (cleaning can drop characters)."""
    segment = _unescape(segment)
    if ":" in segment:
        segment = _EMOJI.sub(_emoji, segment)
    return clean_text(segment, limit=sys.maxsize)


def _emoji(match: re.Match[str]) -> str:
    # Slack spells some names with hyphens ("man-facepalming") where Unicode's have "_".
    name = match[1]
    return _EMOJI_NAMES.get(name) or _EMOJI_NAMES.get(name.replace("-", "_"), match[0])


def _unescaped(target: str) -> str:
    """An address or name inside markup: unescaped and cleaned, emoji left as typed."""
    return clean_text(_unescape(target), limit=sys.maxsize)


def _unescape(text: str) -> str:
    # Slack escapes exactly these three; "&amp;lt;" is a literal "&lt;" typed by a person.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _other(target: str, label: str) -> str:
    if target.startswith("!subteam^"):
        return label or "@group"
    if target.startswith("!date^"):
        return label
    if target.startswith("!"):
        return "@" + _unescaped(target[1:])
    target = _unescaped(target)
    if label:
        return f"{label} ({target})"
    return target.removeprefix("mailto:")


def write(said: Said) -> Mrkdwn:
    """`said` as Slack mrkdwn: its mentions and channel links live again, all else escaped."""
    marks = sorted(
        [(m, mention) for m in said.mentions] + [(c, channel) for c in said.conversations],
        key=lambda pair: pair[0].start,
    )
    parts: list[str] = []
    position = 0
    for mark, render in marks:
        if mark.start < position:  # overlapping marks cannot come from `read`; keep the text
            continue
        parts.append(escape_mrkdwn(said.text[position : mark.start]))
        parts.append(render(mark.ref))
        position = mark.end
    parts.append(escape_mrkdwn(said.text[position:]))
    return Mrkdwn("".join(parts))
