"""The steps of a guided review, in order."""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    IMPACT = "impact"
    TIMELINE = "timeline"
    WENT_WELL = "went_well"
    IMPROVE = "improve"
    ACTIONS = "actions"
    WRAP_UP = "wrap_up"

    @property
    def heading(self) -> str:
        return _HEADINGS[self]

    @property
    def number(self) -> int:
        return ORDER.index(self) + 1

    def next(self) -> Phase:
        return ORDER[min(ORDER.index(self) + 1, len(ORDER) - 1)]

    def previous(self) -> Phase:
        return ORDER[max(ORDER.index(self) - 1, 0)]

    @property
    def is_first(self) -> bool:
        return self is ORDER[0]

    @property
    def is_last(self) -> bool:
        return self is ORDER[-1]


ORDER: tuple[Phase, ...] = tuple(Phase)

_HEADINGS = {
    Phase.IMPACT: "What happened, and what was the impact?",
    Phase.TIMELINE: "Timeline",
    Phase.WENT_WELL: "What went well?",
    Phase.IMPROVE: "What could be improved, and what made it possible?",
    Phase.ACTIONS: "Actions",
    Phase.WRAP_UP: "Wrap-up",
}
