"""Fitting text into Slack's limits: cut with a visible marker, or split into messages.

Reading Slack's markup is handlers/slack/markup.py's job.
"""

from __future__ import annotations


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
