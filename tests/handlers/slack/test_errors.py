"""The Slack front end words every reason a model gives, as users have always read it."""

from __future__ import annotations

import pytest

from handlers.slack.errors import word, wording
from models.core.errors import InvalidInput, NotFound, Reason, UserFacingError


def test_every_reason_has_slack_wording() -> None:
    params = {"words": "fridya", "target_on": "2026-11-01", "value": "whenever"}
    for reason in Reason:
        assert word(reason, params).strip()


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (
            UserFacingError(reason=Reason.TITLE_MISSING),
            "Give the review a title: `/postmortem start <title>`.",
        ),
        (
            InvalidInput(field="query", reason=Reason.SEARCH_SINCE_UNREADABLE, value="whenever"),
            "I couldn't read `since:whenever`; try `since:2026-01-01` or `since:30d`.",
        ),
        (
            UserFacingError(reason=Reason.ACTION_DATE_PASSED, target_on="2026-11-01"),
            "01 Nov 2026 has already passed, so I haven't recorded the action. "
            "Your reply is saved; edit it with a later date, or use *Add action*.",
        ),
        (
            UserFacingError(reason=Reason.ACTION_DATE_UNREADABLE, words="fri {0} day"),
            "I couldn't read “fri {0} day” as a date, so I haven't created an action yet. "
            "Your reply is saved; try a date like `friday`, `in 2 weeks` or `2026-12-01`, "
            "or use *Add action*.",
        ),
        (NotFound("That reply is gone."), "That reply is gone."),
    ],
)
def test_errors_are_worded_for_slack(error: UserFacingError, text: str) -> None:
    assert wording(error) == text


def test_a_reason_carries_no_wording_of_its_own() -> None:
    error = InvalidInput(field="text", reason=Reason.LESSON_TEXT_MISSING)

    assert "/lesson" not in str(error)
    assert (error.reason, error.field) == (Reason.LESSON_TEXT_MISSING, "text")
    assert wording(error) == "Write the lesson after the command: `/lesson keep: …`."
