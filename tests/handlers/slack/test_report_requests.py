"""Reading what people type after `/postmortem summary`."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.slack.reports import BoardRequest, read_board_request
from models.core.errors import UserFacingError

TODAY = date(2026, 11, 20)  # a Friday


def read(text: str) -> BoardRequest:
    return read_board_request(text, channel_id="C0HERE", channel_name="#here", today=TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", BoardRequest("C0HERE", "#here", None, None)),
        ("<#C0INC|incidents>", BoardRequest("C0INC", "#incidents", None, None)),
        ("<#C0INC>", BoardRequest("C0INC", "C0INC", None, None)),
        ("since 2026-10-01", BoardRequest("C0HERE", "#here", date(2026, 10, 1), None)),
        (
            "<#C0INC|incidents> since 1 oct",
            BoardRequest("C0INC", "#incidents", date(2026, 10, 1), None),
        ),
        ("since 25 nov", BoardRequest("C0HERE", "#here", date(2025, 11, 25), None)),
        ("since monday", BoardRequest("C0HERE", "#here", date(2026, 11, 16), None)),
        ("since today", BoardRequest("C0HERE", "#here", TODAY, None)),
        ("release 4.2", BoardRequest("C0HERE", "#here", None, "4.2")),
        (
            "<#C0INC|incidents> release Q4 train",
            BoardRequest("C0INC", "#incidents", None, "Q4 train"),
        ),
        # Read from Slack's markup like any text: the name as typed, not as escaped.
        ("release R&amp;D &lt;2&gt;", BoardRequest("C0HERE", "#here", None, "R&D <2>")),
    ],
)
def test_summary_arguments_are_read(text: str, expected: BoardRequest) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(
    "text",
    ["since whenever", "release", "last week", "#incidents", "<#W0NOTCHANNEL|x> since 1 oct"],
)
def test_unreadable_summary_arguments_explain_the_usage(text: str) -> None:
    with pytest.raises(UserFacingError):
        read(text)
