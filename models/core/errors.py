"""Errors whose message is meant for the person who asked.

An error raised with a `Reason` carries no wording: the front end words it for its own
platform (handlers/slack/errors.py: wording), filling in `params`, so nothing here names a
slash command or uses a platform's formatting. Errors raised with a plain sentence keep it
as their wording; that sentence must read the same on every platform.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a request cannot be done as asked, for the front end to put into words."""

    TITLE_MISSING = "postmortem.title_missing"
    CLOSE_ONLY_BY_FACILITATOR = "postmortem.close_only_by_facilitator"
    ACTION_NOTHING_TO_DO = "action.nothing_to_do"  # quick form with nothing after its prefix
    ACTION_DATE_UNREADABLE = "action.date_unreadable"  # params: words (what was typed)
    ACTION_DATE_PASSED = "action.date_passed"  # params: target_on (ISO date)
    LESSON_TEXT_MISSING = "lesson.text_missing"
    SEARCH_KIND_UNKNOWN = "lesson.search_kind_unknown"
    SEARCH_SINCE_UNREADABLE = "lesson.search_since_unreadable"  # params: value
    SEARCH_EMPTY = "lesson.search_empty"
    OLD_LISTING = "action.old_listing"  # a button on a list of actions that has changed since
    NO_POSTMORTEM_IN_CHANNEL = "report.no_postmortem_in_channel"
    ZONE_UNKNOWN = "workspace.zone_unknown"  # params: typed
    CADENCE_UNREADABLE = "meeting.cadence_unreadable"  # params: problem (plain text)


Param = str | int


class UserFacingError(Exception):
    """The request cannot be done as asked. `reason` and `params` say why for the front end
    to word; without a reason, `str(error)` is the wording itself."""

    def __init__(self, message: str = "", *, reason: Reason | None = None, **params: Param):
        super().__init__(message or (f"{reason}" if reason is not None else ""))
        self.reason = reason
        self.params: dict[str, Param] = params


class NotFound(UserFacingError):
    pass


class NotAllowed(UserFacingError):
    pass


class StaleRequest(UserFacingError):
    """A button from an earlier state of the conversation was pressed."""


class InvalidInput(UserFacingError):
    """One named input is wrong; `field` lets a form show the message next to it."""

    def __init__(
        self, message: str = "", *, field: str, reason: Reason | None = None, **params: Param
    ) -> None:
        super().__init__(message, reason=reason, **params)
        self.field = field
