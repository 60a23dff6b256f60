"""Slack message times read as the instants they name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.slack.messages import time_of


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("1795168800.000001", datetime(2026, 11, 20, 10, 0, 0, 1, tzinfo=UTC)),
        ("1795168800.456789", datetime(2026, 11, 20, 10, 0, 0, 456789, tzinfo=UTC)),
        ("1795168800.999999", datetime(2026, 11, 20, 10, 0, 0, 999999, tzinfo=UTC)),
        ("1795168800", datetime(2026, 11, 20, 10, tzinfo=UTC)),
        ("1795168800.5", datetime(2026, 11, 20, 10, 0, 0, 500000, tzinfo=UTC)),
        # Revision 0006 stored times zero-padded; the padding changes nothing.
        ("001795168800.000100", datetime(2026, 11, 20, 10, 0, 0, 100, tzinfo=UTC)),
    ],
)
def test_a_slack_time_is_read_to_the_microsecond(ts: str, expected: datetime) -> None:
    assert time_of(ts) == expected


@pytest.mark.parametrize("ts", [None, "", "soon", "1795168800.", "-1.0", "1.0e9", 1795168800.5])
def test_anything_else_is_no_time(ts: object) -> None:
    assert time_of(ts) is None


def test_times_keep_the_order_of_their_ts() -> None:
    stamps = [f"1795168800.{n:06d}" for n in (1, 10, 100, 999999)]
    times = [time_of(ts) for ts in stamps]
    assert times == sorted(t for t in times if t is not None)
