"""OKR tables: objectives, their key results, check-ins, and the actions and lessons that
serve a key result."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.core.base import Base, string_enum
from models.core.references import Ref


class KeyResultKind(StrEnum):
    NUMBER = "number"
    PERCENT = "percent"
    MILESTONE = "milestone"  # done (1) or not done (0)


class Confidence(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Measure(StrEnum):
    """Key results Lessonloop measures itself from the channel's records (models/okrs/
    measures.py); their current value is computed, never typed."""

    OPEN_IMPROVE_LESSONS = "open_lessons"
    ACTIONS_ON_TIME = "on_time_pct"
    POSTMORTEMS_HELD = "postmortems"
    DAYS_TO_REVIEW = "days_review"


class Objective(Base):
    __tablename__ = "objectives"
    __table_args__ = (Index(None, "team_id", "channel_id", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    channel_id: Mapped[str] = mapped_column(Ref)
    title: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[str] = mapped_column(Ref)
    # Alignment: another team's (or the organisation's) objective this one serves.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("objectives.id", ondelete="SET NULL"), index=True
    )
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_by: Mapped[str] = mapped_column(Ref)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    key_results: Mapped[list[KeyResult]] = relationship(
        back_populates="objective", order_by="KeyResult.id", passive_deletes=True
    )


class KeyResult(Base):
    __tablename__ = "key_results"
    __table_args__ = (Index(None, "team_id", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("objectives.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[str] = mapped_column(Ref)
    kind: Mapped[KeyResultKind] = mapped_column(string_enum(KeyResultKind))
    unit: Mapped[str] = mapped_column(String(32), default="")
    # None: no baseline was given (flagged when set; progress counts from the first value).
    start_value: Mapped[float | None] = mapped_column(Float)
    target_value: Mapped[float] = mapped_column(Float)
    current_value: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[Confidence] = mapped_column(string_enum(Confidence))
    measure: Mapped[Measure | None] = mapped_column(string_enum(Measure))
    # Set when the target was set: the team's own history makes it unlikely.
    implausible: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    checked_in_at: Mapped[datetime | None]

    objective: Mapped[Objective] = relationship(back_populates="key_results")

    @property
    def increasing(self) -> bool:
        """Whether success is a higher number (a target below the start is a decrease)."""
        return self.start_value is None or self.target_value >= self.start_value


class CheckIn(Base):
    """One reading of a key result: its value, the owner's confidence and a note."""

    __tablename__ = "key_result_checkins"
    __table_args__ = (Index(None, "key_result_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_results.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Float)
    confidence: Mapped[Confidence] = mapped_column(string_enum(Confidence))
    note: Mapped[str | None] = mapped_column(Text)
    by_id: Mapped[str] = mapped_column(Ref)
    at: Mapped[datetime]


class ServingAction(Base):
    """An action that serves a key result (at most one key result per action)."""

    __tablename__ = "key_result_actions"

    action_id: Mapped[int] = mapped_column(
        ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True
    )
    key_result_id: Mapped[int] = mapped_column(
        ForeignKey("key_results.id", ondelete="CASCADE"), index=True
    )
    linked_by: Mapped[str] = mapped_column(Ref)
    linked_at: Mapped[datetime]


class ServingLesson(Base):
    """A lesson linked to a key result (at most one key result per lesson)."""

    __tablename__ = "key_result_lessons"

    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True
    )
    key_result_id: Mapped[int] = mapped_column(
        ForeignKey("key_results.id", ondelete="CASCADE"), index=True
    )
    linked_by: Mapped[str] = mapped_column(Ref)
    linked_at: Mapped[datetime]


class CheckInRequest(Base):
    """One owner's check-in DM for one weekly cycle: planned once per (owner, cycle), then
    sent once, then edited in place as they answer."""

    __tablename__ = "key_result_requests"
    __table_args__ = (UniqueConstraint("team_id", "owner_id", "cycle_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    owner_id: Mapped[str] = mapped_column(Ref)
    cycle_on: Mapped[date] = mapped_column(index=True)  # the Monday the cycle starts
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    dm_conversation: Mapped[str | None] = mapped_column(Ref)
    dm_ref: Mapped[str | None] = mapped_column(Ref)
    followup_planned_at: Mapped[datetime | None]


class CheckInItem(Base):
    """A key result a check-in DM listed."""

    __tablename__ = "key_result_request_items"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("key_result_requests.id", ondelete="CASCADE"), primary_key=True
    )
    key_result_id: Mapped[int] = mapped_column(
        ForeignKey("key_results.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class OkrReviewPost(Base):
    """A review posted (or owed) in a channel: at the end of a period (`period_key`
    "end:<last day>", once per channel and period) or on demand ("asked:<id>")."""

    __tablename__ = "okr_reviews"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    channel_id: Mapped[str] = mapped_column(Ref)
    period_key: Mapped[str] = mapped_column(String(64))
    # The objectives reviewed: those ending that day; None: those current when asked.
    ends_on: Mapped[date | None]
    requested_by: Mapped[str | None] = mapped_column(Ref)
    created_at: Mapped[datetime]
    planned_at: Mapped[datetime | None]


class OkrChange(Base):
    """One field of an objective (`key_result_id` None) or of one of its key results
    changed by an edit: what it was, what it became, who changed it and when."""

    __tablename__ = "okr_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("objectives.id", ondelete="CASCADE"), index=True
    )
    key_result_id: Mapped[int | None] = mapped_column(
        ForeignKey("key_results.id", ondelete="CASCADE")
    )
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(Ref)
    changed_at: Mapped[datetime]
