"""How Teams words each Reason (plain text: it is placed in a card as the app's words)."""

from __future__ import annotations

from datetime import date
from typing import Final

from models.core.errors import Param, Reason, UserFacingError

_WORDING: Final[dict[Reason, str]] = {
    Reason.TITLE_MISSING: "Give the review a title: @Lessonloop postmortem start <title>.",
    Reason.CLOSE_ONLY_BY_FACILITATOR: (
        "Thanks! Only the facilitator who started this review can close it, "
        "so that nobody is cut off mid-thought. Ask them to press Close review."
    ),
    Reason.ACTION_NOTHING_TO_DO: "Say what needs doing after action:.",
    Reason.ACTION_DATE_UNREADABLE: (
        "I couldn't read “{words}” as a date, so I haven't created an action yet. Your reply "
        "is saved; try a date like friday, in 2 weeks or 2026-12-01."
    ),
    Reason.ACTION_DATE_PASSED: (
        "{target_on:%d %b %Y} has already passed, so I haven't recorded the action. "
        "Your reply is saved; edit it with a later date."
    ),
    Reason.LESSON_TEXT_MISSING: "Write the lesson after the command: @Lessonloop lesson keep: …",
    Reason.SEARCH_KIND_UNKNOWN: "Use kind:keep or kind:improve.",
    Reason.SEARCH_SINCE_UNREADABLE: (
        "I couldn't read since:{value}; try since:2026-01-01 or since:30d."
    ),
    Reason.SEARCH_EMPTY: "Search for some words, e.g. @Lessonloop lessons canary config.",
    Reason.OLD_LISTING: "That button is from an older message; ask @Lessonloop actions again.",
    Reason.ZONE_UNKNOWN: (
        "{typed} is not a time zone I know; use an IANA name such as "
        "Europe/Paris, America/New_York or UTC."
    ),
    Reason.CADENCE_UNREADABLE: (
        "{problem} Try for example monthly first tuesday 10:00 Europe/London, "
        "weekly friday 16:00, every 2 weeks tuesday or monthly on the 15th 09:30."
    ),
    Reason.NO_POSTMORTEM_IN_CHANNEL: (
        "There is no post-mortem in this channel yet. "
        "Start one with @Lessonloop postmortem start <title>."
    ),
}


def wording(error: UserFacingError) -> str:
    """What the person reads about `error` (plain text)."""
    if error.reason is None:
        return str(error)
    return word(error.reason, error.params)


def word(reason: str, params: dict[str, Param]) -> str:
    values: dict[str, object] = dict(params)
    if isinstance(target_on := params.get("target_on"), str):
        values["target_on"] = date.fromisoformat(target_on)
    return _WORDING[Reason(reason)].format(**values)
