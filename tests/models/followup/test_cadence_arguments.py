"""`/postmortem review set ...` explains every argument it cannot read; it never fails."""

from __future__ import annotations

import itertools
import random
from datetime import date

import pytest

from handlers.slack.errors import wording
from models.core.errors import InvalidInput
from models.followup.cadence import Cadenced, parse_cadence

TODAY = date(2026, 11, 20)
SUPERSCRIPT_TWO, ARABIC_TEN = "\u00b2", "\u0661\u0660"  # digits to str.isdigit() only
WORDS = [
    "weekly",
    "biweekly",
    "fortnightly",
    "monthly",
    "every",
    "each",
    "2",
    "two",
    "weeks",
    "other",
    "first",
    "2nd",
    "last",
    "4th",
    "5th",
    "15th",
    "29",
    "on",
    "the",
    "of",
    "at",
    "month",
    "day",
    "tuesday",
    "fridays",
    "mon",
    "10:00",
    "9am",
    "12pm",
    "25:00",
    "10:",
    "7:61",
    "Europe/London",
    "america/new_york",
    "utc",
    "Mars/Phobos",
    "lead",
    "followup",
    "follow-up",
    "0",
    "3",
    "30",
    "7d",
    ":",
    "/",
    "am",
    "x",
    SUPERSCRIPT_TWO,
    ARABIC_TEN,
]


def read(text: str) -> Cadenced | InvalidInput:
    try:
        return parse_cadence(text, default_timezone="Europe/London", today=TODAY)
    except InvalidInput as error:
        return error


@pytest.mark.parametrize("text", ["10:00", "lead 3", "Europe/London", "followup 1", "9am utc"])
def test_only_a_time_zone_or_lead_asks_how_often(text: str) -> None:
    result = read(text)

    assert isinstance(result, InvalidInput)
    assert "Say how often the review happens." in wording(result)
    assert "Try for example" in wording(result)


@pytest.mark.parametrize(
    "text",
    [f"lead {SUPERSCRIPT_TWO}", f"weekly tuesday lead {ARABIC_TEN}", "weekly tuesday followup"],
)
def test_a_lead_that_is_not_a_plain_number_is_explained(text: str) -> None:
    result = read(text)

    assert isinstance(result, InvalidInput) and "needs a number of days" in wording(result)


def test_every_pair_of_words_is_read_or_explained() -> None:
    for first, second in itertools.product(WORDS, repeat=2):
        assert isinstance(read(f"{first} {second}"), Cadenced | InvalidInput), (first, second)


def test_random_argument_lists_are_read_or_explained() -> None:
    chosen = random.Random(10)
    readable = 0
    for _ in range(5000):
        text = " ".join(chosen.choices(WORDS, k=chosen.randint(0, 8)))
        result = read(text)
        assert isinstance(result, Cadenced | InvalidInput), text
        readable += isinstance(result, Cadenced)
    assert readable > 0  # the fuzzing reaches real cadences, not only errors
