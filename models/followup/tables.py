"""Follow-through tables: review meeting cadences, the meetings, reminders, listed items.

The tables keep their names (`reviews`, `review_schedules`, ...) until a migration
renames them; the classes say "meeting", since a "review" elsewhere is a post-mortem."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.core.base import Base, string_enum
from models.core.references import Ref


class Cadence(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY_WEEKDAY = "monthly_weekday"
    MONTHLY_DATE = "monthly_date"


class MeetingSchedule(Base):
    """When a channel's team holds its review meeting. weekday: 0 = Monday; week_of_month: 1..4,
    or -1 for the last; local_time "HH:MM" in the IANA `timezone`."""

    __tablename__ = "review_schedules"

    team_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    channel_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    cadence: Mapped[Cadence] = mapped_column(string_enum(Cadence))
    weekday: Mapped[int | None]
    week_of_month: Mapped[int | None]
    day_of_month: Mapped[int | None]
    local_time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    lead_days: Mapped[int] = mapped_column(default=7)
    followup_days: Mapped[int] = mapped_column(default=1)
    anchor_on: Mapped[date | None]
    updated_by: Mapped[str] = mapped_column(Ref)
    updated_at: Mapped[datetime]


class ReviewMeeting(Base):
    """One occurrence of a channel's review meeting. The counts are a snapshot taken when its
    agenda is built, so later meetings can show whether the pile shrank."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    channel_id: Mapped[str] = mapped_column(Ref)
    scheduled_at: Mapped[datetime]
    reminders_planned_at: Mapped[datetime | None]
    followups_planned_at: Mapped[datetime | None]
    agenda_planned_at: Mapped[datetime | None]
    snapshot_at: Mapped[datetime | None]
    open_actions: Mapped[int | None]
    open_lessons: Mapped[int | None]
    created_at: Mapped[datetime]


class MeetingReminder(Base):
    """The reminder DM an owner got for a meeting: where it is, and when it went."""

    __tablename__ = "review_reminders"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    owner_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    dm_conversation: Mapped[str] = mapped_column(Ref)
    dm_ref: Mapped[str] = mapped_column(Ref)
    sent_at: Mapped[datetime]


class MeetingItem(Base):
    """An action listed in an owner's reminder; the owner has responded to it once the
    action has an update after `listed_at`."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("review_id", "action_id"),
        Index(None, "review_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    owner_id: Mapped[str] = mapped_column(Ref)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    listed_at: Mapped[datetime]
