"""Reading the dates people type ("by next friday", "in 2 weeks", "12 Dec", "2026-12-01"),
forwards for due dates and backwards for "since ..." filters.

Rules, chosen to be predictable rather than clever, and echoed back as an absolute date so
a misreading is visible at once:
- a weekday name, with or without "next"/"this", is the first such day after today;
- a day and month without a year is the next time that date comes round (today included);
- "end of week" is this week's Friday (next week's if today is past it), "end of month" the
  last day of this month.
Looking back (`parse_past_date`) reads the same words, then turns a future date into the
last one that has come: a weekday is last week's, any other date last year's; "30d", "2w",
"3m", "1y" count back from today.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from dateutil.relativedelta import MO, relativedelta

WEEKDAYS = {name: i for i, name in enumerate(calendar.day_name[i].lower() for i in range(7))}
WEEKDAYS |= {name[:3]: i for name, i in list(WEEKDAYS.items())}
WEEKDAYS |= {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}
MONTHS = {calendar.month_name[i].lower(): i for i in range(1, 13)}
MONTHS |= {name[:3]: i for name, i in list(MONTHS.items())}
MONTHS["sept"] = 9

_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_IN = re.compile(r"in\s+(\d{1,3}|a|an|one|two|three|four)\s+(days?|weeks?|months?)")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?(?:\s+(\d{4}))?")
_MONTH_DAY = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?")
_BACK = re.compile(r"(\d{1,3})\s*(d|w|m|y)(?:ays?|eeks?|onths?|ears?)?")
_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4}
# No phrase _read understands has more words ("12th of december 2026" has four).
MAX_DATE_WORDS = 5


class UnreadableDate(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(f"I couldn't read “{text}” as a date")
        self.text = text


class FutureDate(UnreadableDate):
    """A date read looking back that has not come yet ("in 3 years")."""

    def __init__(self, text: str) -> None:
        ValueError.__init__(self, f"“{text}” has not come yet")
        self.text = text


def parse_due_date(text: str, *, today: date) -> date:
    """The date `text` means, seen from `today`; raises UnreadableDate."""
    phrase = " ".join(text.lower().replace(",", " ").split()).strip(" .!")
    found = _read(phrase, today) if phrase.count(" ") < MAX_DATE_WORDS else None
    if found is None:
        raise UnreadableDate(text.strip())
    return found


def parse_past_date(text: str, *, today: date) -> date:
    """The date `text` means looking back from `today` (today included); raises
    UnreadableDate, or FutureDate when even looking back it lies ahead. A dash may stand
    for a space ("1-nov", "dec-1") so a date fits in one word of a search filter."""
    phrase = " ".join(text.lower().split())
    if match := _BACK.fullmatch(phrase):
        count, unit = int(match[1]), match[2]
        return (
            today
            - {
                "d": relativedelta(days=count),
                "w": relativedelta(weeks=count),
                "m": relativedelta(months=count),
                "y": relativedelta(years=count),
            }[unit]
        )
    found = parse_due_date(
        phrase if _ISO.fullmatch(phrase) else phrase.replace("-", " "), today=today
    )
    if found > today and WEEKDAYS.keys() & phrase.replace("-", " ").split():
        found -= timedelta(days=7)  # "since friday": the last Friday, not the next
    elif found > today:
        found -= relativedelta(years=1)  # "since 12 dec" in November: last December
    if found > today:
        raise FutureDate(text.strip())
    return found


def _read(phrase: str, today: date) -> date | None:
    if phrase in ("today", "eod", "end of day", "tonight"):
        return today
    if phrase == "tomorrow":
        return today + timedelta(days=1)
    if phrase in ("eow", "end of week", "end of the week", "this week"):
        return _next_weekday(today, 4, include_today=True)
    if phrase in ("next week",):
        return today + relativedelta(days=1, weekday=MO)  # next week's Monday
    if phrase in ("eom", "end of month", "end of the month", "this month"):
        return today + relativedelta(day=31)  # clamped to the month's last day
    if phrase in ("next month",):
        return _add_months(today, 1)
    words = phrase.removeprefix("next ").removeprefix("this ").removeprefix("on ")
    if words in WEEKDAYS:
        return _next_weekday(today, WEEKDAYS[words], include_today=False)
    if match := _ISO.fullmatch(phrase):
        return _safe_date(int(match[1]), int(match[2]), int(match[3]))
    if match := _IN.fullmatch(phrase):
        count = _WORD_NUMBERS.get(match[1]) or int(match[1])
        unit = match[2]
        if unit.startswith("month"):
            return _add_months(today, count)
        return today + timedelta(days=count * _UNITS[unit])
    if match := _DAY_MONTH.fullmatch(phrase):
        return _day_of_month(today, int(match[1]), match[2], match[3])
    if match := _MONTH_DAY.fullmatch(phrase):
        return _day_of_month(today, int(match[2]), match[1], match[3])
    return None


def _next_weekday(today: date, weekday: int, *, include_today: bool) -> date:
    # relativedelta's weekday lands on that day or, when today is it, stays on today.
    return today + relativedelta(days=0 if include_today else 1, weekday=weekday)


def _add_months(day: date, months: int) -> date:
    return day + relativedelta(months=months)  # 31 Jan + 1 month: 28 (or 29) Feb


def _day_of_month(today: date, day: int, month_name: str, year: str | None) -> date | None:
    month = MONTHS.get(month_name)
    if month is None:
        return None
    if year is not None:
        return _safe_date(int(year), month, day)
    this_year = _safe_date(today.year, month, day)
    if this_year is not None and this_year >= today:
        return this_year
    return _safe_date(today.year + 1, month, day)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
