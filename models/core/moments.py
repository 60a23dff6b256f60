"""Slack-style message times ("1764770000.123456": seconds since the epoch, with
microseconds) in one sortable form, so the order people acted in can be compared in SQL.

Message times, click times and edit times all come from Slack's clock, which is why a reply
is placed by its own time against the time a step opened, not by when either was processed.
"""

from __future__ import annotations

import re
from datetime import datetime

_TS = re.compile(r"(\d{1,12})(?:\.(\d{1,9}))?")


def moment(ts: str, *, default: str | None = None) -> str:
    """`ts` zero-padded to a fixed width (12 digits, a point, 6 digits), so that string
    order is time order. Raises ValueError for anything else, unless `default` is given."""
    match = _TS.fullmatch(ts.strip()) if isinstance(ts, str) else None
    if match is None:
        if default is not None:
            return default
        raise ValueError(f"not a message time: {ts[:40]!r}")
    seconds, fraction = match[1], match[2] or ""
    return f"{int(seconds):012d}.{fraction[:6]:0<6}"


def moment_of(at: datetime) -> str:
    """An aware datetime in the same form, for when Slack gave no time of its own."""
    return moment(f"{at.timestamp():.6f}")
