"""Jira tables: which issue stands for which record, each channel's project, and who is
who in Jira."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.core.base import Base, string_enum
from models.core.references import Ref


class Tracked(StrEnum):
    ACTION = "action"
    LESSON = "lesson"


class JiraIssue(Base):
    """A record's issue. `pushed_*` is what Lessonloop last wrote to the issue, so a webhook
    that only reports that change back (an echo) changes nothing; `remote_updated_at` is
    the newest change read from Jira, so an older webhook arriving late is ignored."""

    __tablename__ = "jira_issues"
    __table_args__ = (
        UniqueConstraint("record", "record_id"),
        Index(None, "issue_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    record: Mapped[Tracked] = mapped_column(string_enum(Tracked))
    record_id: Mapped[int]
    issue_key: Mapped[str] = mapped_column(String(64))
    pushed_category: Mapped[str | None] = mapped_column(String(16))
    pushed_due: Mapped[date | None]
    pushed_owner: Mapped[str | None] = mapped_column(Ref)
    pushed_summary: Mapped[str | None] = mapped_column(String(255))
    remote_updated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class JiraChannel(Base):
    """A channel's own choice: another project than the default, or none (`project_key`
    None: Jira is off for the channel)."""

    __tablename__ = "jira_channels"

    team_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    channel_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    project_key: Mapped[str | None] = mapped_column(String(32))
    updated_by: Mapped[str] = mapped_column(Ref)
    updated_at: Mapped[datetime]


class JiraPerson(Base):
    """A chat user's Jira account, found by email (None: searched, no match)."""

    __tablename__ = "jira_people"

    team_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    user_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(128), index=True)
    looked_up_at: Mapped[datetime]


class JiraCursor(Base):
    """How far the reconciliation pass has read Jira's changes."""

    __tablename__ = "jira_cursors"
    # One cursor for the process's whole Jira site: no workspace's data.
    __table_args__ = ({"info": {"shared": "the Jira site's reconciliation cursor"}},)

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    reconciled_at: Mapped[datetime]
