"""The blameless coach: reading blame in replies and offering a reframe.

The reader (models/coach/blame.py) loads a 114,000-word English list and compiles a few
hundred patterns when imported: about 0.14 s. `assess` imports it on first use, so a
process pays that when it first reads a reply, not when it starts; the web process of
`lessonloop serve`, which only stores replies, never does, and the worker process that
reads them calls `load` at start.
"""

from __future__ import annotations

from models.coach.verdict import BlameVerdict

__all__ = ["BlameVerdict", "assess", "load"]


def assess(text: str) -> BlameVerdict:
    """Whether a reply (plain text) blames a person, why, and how to ask about the system
    instead (models.coach.blame.assess)."""
    from models.coach.blame import assess as read_reply

    return read_reply(text)


def load() -> None:
    """Load the reader now, in a process about to read replies."""
    import models.coach.blame  # noqa: F401
