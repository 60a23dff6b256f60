"""Tables. Every row carries the Slack team id so that nothing can cross workspaces."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.phases import Phase

SlackId = String(32)


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        create_constraint=True,
        name=cls.__name__.lower(),
    )


class PostmortemKind(StrEnum):
    INCIDENT = "incident"
    RELEASE = "release"
    PROJECT = "project"


class PostmortemStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class LessonKind(StrEnum):
    KEEP = "keep"
    IMPROVE = "improve"


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_ACTION_STATUSES

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


# The one definition of a closed action: done, or dropped on purpose.
CLOSED_ACTION_STATUSES = (ActionStatus.DONE, ActionStatus.DROPPED)


class Postmortem(Base):
    __tablename__ = "postmortems"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "thread_ts"),
        Index(None, "team_id", "channel_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    # None until the root message is posted: the review is stored first, the post is owed.
    thread_ts: Mapped[str | None] = mapped_column(SlackId)
    permalink: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PostmortemKind] = mapped_column(_enum(PostmortemKind))
    facilitator_id: Mapped[str] = mapped_column(SlackId)
    status: Mapped[PostmortemStatus] = mapped_column(_enum(PostmortemStatus))
    phase: Mapped[Phase] = mapped_column(_enum(Phase))
    prompt_ts: Mapped[str | None] = mapped_column(SlackId)
    skipped_phases: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # Slack time of the Close click: replies posted before it still count.
    closed_ts: Mapped[str | None] = mapped_column(SlackId)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="postmortem", order_by="Answer.message_ts", passive_deletes=True
    )


class Answer(Base):
    """One human reply in a post-mortem thread, recorded against the phase it answered."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("postmortem_id", "message_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    phase: Mapped[Phase] = mapped_column(_enum(Phase))
    author_id: Mapped[str] = mapped_column(SlackId)
    text: Mapped[str] = mapped_column(Text)
    message_ts: Mapped[str] = mapped_column(SlackId)
    event_id: Mapped[str | None] = mapped_column(String(64))
    # Slack time of the edit now shown, so an older edit processed later cannot win.
    edited_ts: Mapped[str | None] = mapped_column(SlackId)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    postmortem: Mapped[Postmortem] = relationship(back_populates="answers")


class PostmortemStep(Base):
    """When each step of a review opened, in Slack time. A reply belongs to the step that
    was open when it was posted, whatever order Slack's events and clicks are processed in."""

    __tablename__ = "postmortem_steps"
    __table_args__ = (Index(None, "postmortem_id", "opened_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    phase: Mapped[Phase] = mapped_column(_enum(Phase))
    opened_ts: Mapped[str] = mapped_column(SlackId)
    opened_by: Mapped[str] = mapped_column(SlackId)


class MessageChangeKind(StrEnum):
    EDIT = "edit"
    DELETE = "delete"


class PendingMessageChange(Base):
    """An edit or deletion that arrived before the message it changes; applied when the
    message arrives. Only kept for post-mortem threads, and purged after a day."""

    __tablename__ = "pending_message_changes"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "message_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    message_ts: Mapped[str] = mapped_column(SlackId)
    kind: Mapped[MessageChangeKind] = mapped_column(_enum(MessageChangeKind))
    text: Mapped[str | None] = mapped_column(Text)
    changed_ts: Mapped[str] = mapped_column(SlackId)
    created_at: Mapped[datetime] = mapped_column(index=True)


class Lesson(Base):
    __tablename__ = "lessons"
    __table_args__ = (Index(None, "team_id", "channel_id"), Index(None, "team_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    postmortem_id: Mapped[int | None] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), index=True
    )
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[LessonKind] = mapped_column(_enum(LessonKind))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(SlackId)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Issue 4: a lesson captured from a message keeps where it came from.
    source_ts: Mapped[str | None] = mapped_column(SlackId)
    source_permalink: Mapped[str | None] = mapped_column(String(500))


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (
        Index(None, "team_id", "owner_id", "status"),
        Index(None, "team_id", "channel_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    postmortem_id: Mapped[int | None] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), index=True
    )
    lesson_id: Mapped[int | None] = mapped_column(
        ForeignKey("lessons.id", ondelete="SET NULL"), index=True
    )
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), unique=True
    )
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[str] = mapped_column(SlackId)
    target_on: Mapped[date | None]
    status: Mapped[ActionStatus] = mapped_column(_enum(ActionStatus))
    created_by: Mapped[str] = mapped_column(SlackId)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    history: Mapped[list[ActionEvent]] = relationship(
        back_populates="action", order_by="ActionEvent.id", passive_deletes=True
    )

    def record(
        self,
        *,
        what: str,
        by: str,
        at: datetime,
        old: str | None = None,
        new: str | None = None,
        note: str | None = None,
    ) -> None:
        self.updated_at = at
        self.history.append(
            ActionEvent(
                team_id=self.team_id,
                actor_id=by,
                at=at,
                what=what,
                old_value=old,
                new_value=new,
                note=note,
            )
        )

    def change_status(
        self, status: ActionStatus, *, by: str, at: datetime, note: str | None = None
    ) -> None:
        if status is self.status and note is None:
            return
        self.record(what="status", by=by, at=at, old=self.status.value, new=status.value, note=note)
        self.status = status
        self.closed_at = at if status.is_closed else None


class ActionEvent(Base):
    """The history of an action: who changed what, when, from what to what."""

    __tablename__ = "action_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[str] = mapped_column(SlackId)
    at: Mapped[datetime]
    what: Mapped[str] = mapped_column(String(16))
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)

    action: Mapped[Action] = relationship(back_populates="history")


class SlackEvent(Base):
    """Event ids already handled: Slack retries deliveries and Bolt does not de-duplicate."""

    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    received_at: Mapped[datetime] = mapped_column(index=True)


class InboundEvent(Base):
    """An Events API delivery, stored before Slack gets its 200 and processed after, so a
    crash between the two loses nothing; the unique event id drops Slack's redeliveries."""

    __tablename__ = "inbound_events"
    __table_args__ = (Index(None, "processed_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]
    due_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    processed_at: Mapped[datetime | None]


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Delivery(Base):
    """A message the app owes someone. Written in the same transaction as the change that
    owes it, claimed with a lease before sending, so a crash retries it and never loses it."""

    __tablename__ = "deliveries"
    __table_args__ = (Index(None, "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    kind: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[str] = mapped_column(SlackId)
    subject_id: Mapped[int | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus))
    due_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ChannelSettings(Base):
    """Per-channel preferences, set by anyone in the channel."""

    __tablename__ = "channel_settings"

    team_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    channel_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    coach_enabled: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[str] = mapped_column(SlackId)
    updated_at: Mapped[datetime]


class CoachNudge(Base):
    """A private reframing note the coach gave; at most one per person per phase.

    Who was nudged is kept only to enforce that limit; reports count nudges, never name them."""

    __tablename__ = "coach_nudges"
    __table_args__ = (UniqueConstraint("postmortem_id", "phase", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    phase: Mapped[Phase] = mapped_column(_enum(Phase))
    user_id: Mapped[str] = mapped_column(SlackId)
    created_at: Mapped[datetime]


# Follow-through (issue 3): review cadence, reviews, reminders, people's time zones.


class Cadence(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY_WEEKDAY = "monthly_weekday"
    MONTHLY_DATE = "monthly_date"


class ReviewSchedule(Base):
    """When a channel's team holds its review. weekday: 0 = Monday; week_of_month: 1..4,
    or -1 for the last; local_time "HH:MM" in the IANA `timezone`."""

    __tablename__ = "review_schedules"

    team_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    channel_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    cadence: Mapped[Cadence] = mapped_column(_enum(Cadence))
    weekday: Mapped[int | None]
    week_of_month: Mapped[int | None]
    day_of_month: Mapped[int | None]
    local_time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    lead_days: Mapped[int] = mapped_column(default=7)
    followup_days: Mapped[int] = mapped_column(default=1)
    anchor_on: Mapped[date | None]
    updated_by: Mapped[str] = mapped_column(SlackId)
    updated_at: Mapped[datetime]


class Review(Base):
    """One occurrence of a channel's review. The counts are a snapshot taken when its agenda
    is built, so later reviews can show whether the pile shrank."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    scheduled_at: Mapped[datetime]
    reminders_planned_at: Mapped[datetime | None]
    followups_planned_at: Mapped[datetime | None]
    agenda_planned_at: Mapped[datetime | None]
    snapshot_at: Mapped[datetime | None]
    open_actions: Mapped[int | None]
    open_lessons: Mapped[int | None]
    created_at: Mapped[datetime]


class ReviewReminder(Base):
    """The reminder DM an owner got for a review: where it is, and when it went."""

    __tablename__ = "review_reminders"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    owner_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    dm_channel: Mapped[str] = mapped_column(SlackId)
    dm_ts: Mapped[str] = mapped_column(SlackId)
    sent_at: Mapped[datetime]


class ReviewItem(Base):
    """An action listed in an owner's reminder; the owner has responded to it once the
    action has an update after `listed_at`."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("review_id", "action_id"),
        Index(None, "review_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    owner_id: Mapped[str] = mapped_column(SlackId)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    listed_at: Mapped[datetime]


class Person(Base):
    """A cache of what Slack's users.info says about someone (their time zone)."""

    __tablename__ = "people"

    team_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    user_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    tz: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime]


# Issue 4: lessons at any moment, the lesson library and its privacy.


class SlackChannel(Base):
    """What the app last learned about a channel (conversations.info). A channel with no
    row here is treated as private: its lessons are shown only to members."""

    __tablename__ = "slack_channels"

    team_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    channel_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    is_private: Mapped[bool]
    checked_at: Mapped[datetime]


class LessonDraft(Base):
    """`/lesson <text>` without `keep:`/`improve:` waits here until its author picks a kind."""

    __tablename__ = "lesson_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    author_id: Mapped[str] = mapped_column(SlackId)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)


class TimelineEntry(Base):
    """A message added to a review's timeline, at the time the message was sent."""

    __tablename__ = "timeline_entries"
    __table_args__ = (Index(None, "team_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    postmortem_id: Mapped[int | None] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    author_id: Mapped[str | None] = mapped_column(SlackId)
    added_by: Mapped[str] = mapped_column(SlackId)
    source_ts: Mapped[str] = mapped_column(SlackId)
    source_permalink: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


# Reports (issue 5)


class BoardSummaryPost(Base):
    """A programme-board summary that was posted, so the next one can say what was completed
    since."""

    __tablename__ = "board_summaries"
    __table_args__ = (Index(None, "team_id", "channel_id", "posted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId)
    channel_id: Mapped[str] = mapped_column(SlackId)
    posted_in: Mapped[str] = mapped_column(SlackId)
    posted_by: Mapped[str] = mapped_column(SlackId)
    period: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[datetime]
