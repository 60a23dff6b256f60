"""Slack message times: a `ts` ("1764770000.123456", seconds since the epoch with
microseconds) both names a message and says when it was sent. The domain stores the name
as a reference and the time as a datetime; this reads the time.
https://api.slack.com/messaging/retrieving#individual_messages
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_TS = re.compile(r"(\d{1,12})(?:\.(\d{1,9}))?")


def time_of(ts: object) -> datetime | None:
    """When a message (or click, or edit) with this `ts` happened, to the microsecond and
    without going through a float; None when `ts` is not a Slack time."""
    match = _TS.fullmatch(ts.strip()) if isinstance(ts, str) else None
    if match is None:
        return None
    microseconds = int((match[2] or "")[:6].ljust(6, "0"))
    try:
        return datetime.fromtimestamp(int(match[1]), UTC) + timedelta(microseconds=microseconds)
    except (OverflowError, OSError, ValueError):  # beyond what a datetime can hold
        return None
