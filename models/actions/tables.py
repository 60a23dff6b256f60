"""Action tables: the action and its history."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.core.base import Base, string_enum
from models.core.references import Ref


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


# The one definition of a closed action: done, or dropped on purpose. Python reads it as
# `ActionStatus.is_closed`, SQL as `Action.open_clause()`; "overdue" is built on it in
# `is_overdue` and `Action.overdue_clause()`.
CLOSED_ACTION_STATUSES = (ActionStatus.DONE, ActionStatus.DROPPED)


def is_overdue(target_on: date | None, status: ActionStatus, today: date) -> bool:
    """Open, and its date is before `today` (an undated action is never overdue)."""
    return target_on is not None and target_on < today and not status.is_closed


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (
        Index(None, "team_id", "owner_id", "status"),
        Index(None, "team_id", "channel_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    channel_id: Mapped[str] = mapped_column(Ref)
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
    owner_id: Mapped[str] = mapped_column(Ref)
    target_on: Mapped[date | None]
    status: Mapped[ActionStatus] = mapped_column(string_enum(ActionStatus))
    created_by: Mapped[str] = mapped_column(Ref)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    history: Mapped[list[ActionEvent]] = relationship(
        back_populates="action", order_by="ActionEvent.id", passive_deletes=True
    )

    @classmethod
    def open_clause(cls) -> ColumnElement[bool]:
        """SQL for `not status.is_closed`."""
        return cls.status.not_in(CLOSED_ACTION_STATUSES)

    @classmethod
    def overdue_clause(cls, today: date) -> ColumnElement[bool]:
        """SQL for `is_overdue(target_on, status, today)`: NULL dates compare as unknown."""
        return and_(cls.open_clause(), cls.target_on < today)

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


# What an ActionEvent records (`what`): the owner's updates count as a response to a
# reminder; "created" and the app's own "nudged" do not. An overdue action is nudged at
# most once every NUDGE_EVERY.
UPDATES = ("status", "target", "note")
NUDGED = "nudged"
NUDGE_EVERY = timedelta(days=7)


class ActionEvent(Base):
    """The history of an action: who changed what, when, from what to what."""

    __tablename__ = "action_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[str] = mapped_column(Ref)
    at: Mapped[datetime]
    what: Mapped[str] = mapped_column(String(16))
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)

    action: Mapped[Action] = relationship(back_populates="history")
