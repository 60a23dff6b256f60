"""Opaque references to things that live on a chat platform: people, conversations,
messages, workspaces and events.

The domain never reads them; it stores them and hands them back to the front end that
made them. A column holding one is `Ref`, wide enough for any platform's ids: Slack's are
about a dozen characters, Microsoft Teams' run to about a hundred (`29:1a…` users,
`19:…@thread.tacv2` conversations, activity ids).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import String

REF_LENGTH = 255
Ref = String(REF_LENGTH)


class Platform(StrEnum):
    """Where a reference came from; ids are only unique within their platform."""

    SLACK = "slack"
    TEAMS = "teams"
