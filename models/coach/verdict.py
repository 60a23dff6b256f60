"""What the coach says of a reply, apart from how it reads one (models/coach/blame.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BlameVerdict:
    blames: bool
    # Short explanations, e.g. 'pairs a person ("he") with fault language ("forgot")'.
    reasons: tuple[str, ...]
    # One or two systems-focused questions fitted to what was said.
    reframes: tuple[str, ...]
