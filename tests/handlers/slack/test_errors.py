"""The Slack front end words every reason a model gives, as users have always read it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from handlers.slack.errors import word, wording
from models.core.errors import InvalidInput, NotFound, Reason, UserFacingError


def test_every_reason_has_slack_wording() -> None:
    params = {
        "words": "fridya",
        "target_on": "2026-11-01",
        "value": "whenever",
        "typed": "Mars",
        "problem": "Say which weekday.",
    }
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


MODELS = Path(__file__).parents[3] / "models"
_ERRORS = {"UserFacingError", "NotFound", "NotAllowed", "StaleRequest", "InvalidInput"}
# Naming a slash command, or mrkdwn: `code` or *bold*.
_SLACK_WORDING = re.compile(r"(?<![\w/])/(?:postmortem|lessons?|actions)\b|`|\*\w[^*]*\*")


def _error_texts(source: str) -> list[str]:
    """Every string written into an error: the arguments of a call to an error class, and
    anything inside a `raise` (which covers helpers such as `raise _invalid("…")`)."""
    texts = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if name in _ERRORS:
                texts += _strings(node.args)
        elif isinstance(node, ast.Raise) and node.exc is not None:
            texts += _strings([node.exc])
    return texts


def _strings(nodes: list[ast.expr]) -> list[str]:
    return [
        part.value
        for argument in nodes
        for part in ast.walk(argument)
        if isinstance(part, ast.Constant) and isinstance(part.value, str)
    ]


def test_errors_raised_in_models_carry_no_slack_wording() -> None:
    found = [
        f"{path.relative_to(MODELS)}: {text}"
        for path in sorted(MODELS.rglob("*.py"))
        if "migrations" not in path.parts  # errors for operators, not for people in chat
        for text in _error_texts(path.read_text(encoding="utf-8"))
        if _SLACK_WORDING.search(text)
    ]
    assert found == []


def test_the_wording_check_sees_errors_that_name_a_command() -> None:
    helper = 'raise _invalid(f"I don\'t know the cadence `{head}`.")'
    assert [t for t in _error_texts(helper) if _SLACK_WORDING.search(t)]
    direct = 'InvalidInput("Try `/postmortem review set weekly friday`", field="c")'
    assert [t for t in _error_texts(direct) if _SLACK_WORDING.search(t)]
    assert _SLACK_WORDING.search("Give the review a title: `/postmortem start <title>`.")
    assert _SLACK_WORDING.search("Ask them to press *Close review*.")
    assert not _SLACK_WORDING.search("Keep it under 500 characters; see docs/actions.")
