"""Reading due dates and the `action:` quick form, seen from a fixed day."""

from __future__ import annotations

from datetime import date

import pytest

from models.core.dates import FutureDate, UnreadableDate, parse_due_date, parse_past_date
from models.core.errors import Reason, UserFacingError
from models.core.text import Mention, Said
from models.postmortems.quickform import QuickAction, parse_quick_action
from tests.said import said

FRIDAY = date(2026, 11, 20)
SATURDAY = date(2026, 11, 21)
MONDAY = date(2026, 11, 16)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("friday", FRIDAY, date(2026, 11, 27)),
        ("next friday", FRIDAY, date(2026, 11, 27)),
        ("next friday", MONDAY, date(2026, 11, 20)),
        ("this Friday", MONDAY, date(2026, 11, 20)),
        ("monday", FRIDAY, date(2026, 11, 23)),
        ("on Tue", FRIDAY, date(2026, 11, 24)),
        ("thurs", SATURDAY, date(2026, 11, 26)),
        ("today", FRIDAY, FRIDAY),
        ("tomorrow", FRIDAY, date(2026, 11, 21)),
        ("Tomorrow.", FRIDAY, date(2026, 11, 21)),
        ("next week", FRIDAY, date(2026, 11, 23)),
        ("in 3 days", FRIDAY, date(2026, 11, 23)),
        ("in 2 weeks", FRIDAY, date(2026, 12, 4)),
        ("in a week", FRIDAY, date(2026, 11, 27)),
        ("in a month", date(2027, 1, 31), date(2027, 2, 28)),
        ("in a month", date(2028, 1, 31), date(2028, 2, 29)),
        ("in two months", date(2026, 12, 31), date(2027, 2, 28)),
        ("12 dec", FRIDAY, date(2026, 12, 12)),
        ("12 nov", FRIDAY, date(2027, 11, 12)),
        ("20 Nov", FRIDAY, FRIDAY),
        ("Dec 1st", FRIDAY, date(2026, 12, 1)),
        ("1st of December", FRIDAY, date(2026, 12, 1)),
        ("Jan 5, 2028", FRIDAY, date(2028, 1, 5)),
        ("2026-12-01", FRIDAY, date(2026, 12, 1)),
        ("eom", FRIDAY, date(2026, 11, 30)),
        ("end of month", date(2027, 2, 3), date(2027, 2, 28)),
        ("eow", FRIDAY, FRIDAY),
        ("eow", SATURDAY, date(2026, 11, 27)),
        ("end of the week", MONDAY, date(2026, 11, 20)),
    ],
)
def test_due_date_is_read_relative_to_today(text: str, today: date, expected: date) -> None:
    assert parse_due_date(text, today=today) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30",
        "2026-13-01",
        "31 feb",
        "30 februray",
        "fridya",
        "someday",
        "in a fortnight",
        "",
    ],
)
def test_unreadable_date_is_refused_with_the_text(text: str) -> None:
    with pytest.raises(UnreadableDate) as error:
        parse_due_date(text, today=FRIDAY)
    assert error.value.text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "action: rotate the db credentials @U0ABC123 by friday",
            QuickAction("rotate the db credentials", "U0ABC123", date(2026, 11, 27)),
        ),
        (
            "todo: write the failover runbook by 2026-12-01",
            QuickAction("write the failover runbook", None, date(2026, 12, 1)),
        ),
        (
            "AI - add a canary stage @W0XYZ99 due in 2 weeks.",
            QuickAction("add a canary stage", "W0XYZ99", date(2026, 12, 4)),
        ),
        (
            "Action: @U0ABC123 alert on checkout errors before Dec 1st",
            QuickAction("alert on checkout errors", "U0ABC123", date(2026, 12, 1)),
        ),
        (
            "action: ask @U0ABC123 to pair with @U0DEF456",
            QuickAction("ask to pair with @U0DEF456", "U0ABC123", None),
        ),
        (
            "action: stop patching prod by hand",
            QuickAction("stop patching prod by hand", None, None),
        ),
        (
            "action: get sign-off by the DBA team",
            QuickAction("get sign-off by the DBA team", None, None),
        ),
        pytest.param(
            "action: stop patching prod by hand by friday",
            QuickAction("stop patching prod by hand", None, date(2026, 11, 27)),
            id="by-hand-then-date",
        ),
        pytest.param(
            "action: document the steps used by oncall by friday",
            QuickAction("document the steps used by oncall", None, date(2026, 11, 27)),
            id="by-in-description-then-date",
        ),
        pytest.param(
            "action: rotate the db credentials by friday @U0ABC123",
            QuickAction("rotate the db credentials", "U0ABC123", date(2026, 11, 27)),
            id="date-then-mention",
        ),
    ],
)
def test_quick_action_reads_owner_and_due_date_out_of_description(
    text: str, expected: QuickAction
) -> None:
    assert parse_quick_action(said(text), today=FRIDAY) == expected


@pytest.mark.parametrize(
    "text",
    ["action: rotate keys by fridya", "action: rotate keys @U0ABC123 by 2026-02-30"],
)
def test_quick_action_with_misspelt_date_is_refused(text: str) -> None:
    with pytest.raises(UnreadableDate):
        parse_quick_action(said(text), today=FRIDAY)


@pytest.mark.parametrize("text", ["action:", "todo:   ", "action: @U0ABC123 by friday"])
def test_quick_action_without_description_is_refused(text: str) -> None:
    with pytest.raises(UserFacingError) as error:
        parse_quick_action(said(text), today=FRIDAY)
    assert error.value.reason is Reason.ACTION_NOTHING_TO_DO


def test_quick_action_owner_comes_from_a_mention_not_from_text_that_looks_like_one() -> None:
    typed = Said("action: page @U0ABC123 about it")
    assert parse_quick_action(typed, today=FRIDAY) == QuickAction(
        "page @U0ABC123 about it", None, None
    )
    teams = Said("action: page Dana Lee by friday", (Mention("29:1dana", 13, 21),))
    assert parse_quick_action(teams, today=FRIDAY) == QuickAction(
        "page", "29:1dana", date(2026, 11, 27)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-01", date(2026, 10, 1)),
        ("1 oct", date(2026, 10, 1)),
        ("1-nov", date(2026, 11, 1)),
        ("dec-1", date(2025, 12, 1)),  # December has not come this year: last December's
        ("25-nov", date(2025, 11, 25)),  # five days ahead is still ahead: last year's
        ("friday", FRIDAY),  # today is a Friday: today, not next week's
        ("wednesday", date(2026, 11, 18)),
        ("monday", date(2026, 11, 16)),
        ("today", FRIDAY),
        ("30d", date(2026, 10, 21)),
        ("2w", date(2026, 11, 6)),
        ("2 weeks", date(2026, 11, 6)),
        ("3m", date(2026, 8, 20)),
        ("1y", date(2025, 11, 20)),
        ("2028-01-05", None),  # two years ahead: a year back is still ahead
    ],
)
def test_past_date_is_the_last_one_that_has_come(text: str, expected: date | None) -> None:
    if expected is None:
        with pytest.raises(FutureDate):
            parse_past_date(text, today=FRIDAY)
        return
    assert parse_past_date(text, today=FRIDAY) == expected


def test_months_back_end_on_the_last_day_of_a_shorter_month() -> None:
    assert parse_past_date("1m", today=date(2026, 3, 31)) == date(2026, 2, 28)
    assert parse_past_date("1y", today=date(2028, 2, 29)) == date(2027, 2, 28)
    assert parse_past_date("29 feb", today=date(2028, 1, 10)) == date(2027, 2, 28)


def test_unreadable_past_date_says_what_it_could_not_read() -> None:
    with pytest.raises(UnreadableDate) as raised:
        parse_past_date("whenever", today=FRIDAY)
    assert not isinstance(raised.value, FutureDate)
    assert raised.value.text == "whenever"
