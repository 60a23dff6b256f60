"""Tables every feature shares: inbound events, the outbox, conversations and people."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.core.base import Base, string_enum
from models.core.references import Platform, Ref


class HandledEvent(Base):
    """Events whose effect is applied, recorded in the same transaction as the effect:
    platforms redeliver events, and an event processed twice must change things once."""

    __tablename__ = "handled_events"

    platform: Mapped[Platform] = mapped_column(string_enum(Platform), primary_key=True)
    event_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    received_at: Mapped[datetime] = mapped_column(index=True)


class InboundEvent(Base):
    """A delivery from a platform, stored before the platform gets its 200 and processed
    after, so a crash between the two loses nothing; the unique (platform, event id) drops
    redeliveries."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("platform", "event_id"),
        Index(None, "processed_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[Platform] = mapped_column(string_enum(Platform))
    event_id: Mapped[str] = mapped_column(Ref)
    team_id: Mapped[str] = mapped_column(Ref)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]
    due_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    processed_at: Mapped[datetime | None]


class InboundProgress(Base):
    """How far each stored event has got, where events are kept in a file of their own
    (a SQLite database keeps them beside it: models.core.inbox.inbox_engine).

    Only the web process writes that file, appending each event before its 200; the
    workers' leases, marks and retries are kept here in the main database instead, so
    processing never takes the file's write lock while an event waits to be stored.
    `inbound_id` is the event's id in the file, where ids only grow: the highest one here
    is how far the workers have read. On PostgreSQL events are stored in the database
    itself, each row keeps its own progress, and this table stays empty."""

    __tablename__ = "inbound_progress"
    __table_args__ = (
        Index(None, "processed_at", "due_at"),
        {"info": {"shared": "the inbox's progress by event id, purged a day after"}},
    )

    inbound_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    platform: Mapped[Platform] = mapped_column(string_enum(Platform))
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
    team_id: Mapped[str] = mapped_column(Ref)
    kind: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[str] = mapped_column(Ref)
    subject_id: Mapped[int | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[DeliveryStatus] = mapped_column(string_enum(DeliveryStatus))
    due_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ChannelSettings(Base):
    """Per-channel preferences, set by anyone in the channel."""

    __tablename__ = "channel_settings"

    team_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    channel_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    coach_enabled: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[str] = mapped_column(Ref)
    updated_at: Mapped[datetime]


class Person(Base):
    """A cache of what Slack's users.info says about someone (their time zone)."""

    __tablename__ = "people"

    team_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    user_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    tz: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime]


class Conversation(Base):
    """What the app last learned about a conversation (a channel, a group chat). One with
    no row here is treated as private: its lessons are shown only to members."""

    __tablename__ = "conversations"

    team_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    channel_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    is_private: Mapped[bool]
    checked_at: Mapped[datetime]


class Workspace(Base):
    """Settings that differ per workspace, created from the process defaults on first
    use (see models.core.workspaces). review_*: what a channel's review schedule takes when
    `review set` leaves them out; review_cadence None means a channel must say how often.
    A channel's own coach setting (ChannelSettings) overrides coach_enabled."""

    __tablename__ = "workspaces"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace_ref: Mapped[str] = mapped_column(String(255), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    coach_enabled: Mapped[bool]
    review_cadence: Mapped[str | None] = mapped_column(String(16))
    review_weekday: Mapped[int | None]
    review_week_of_month: Mapped[int | None]
    review_day_of_month: Mapped[int | None]
    review_time: Mapped[str] = mapped_column(String(5))
    review_lead_days: Mapped[int | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(255))
    # Set when the platform stopped the app here (uninstalled, tokens revoked or refused):
    # nothing is sent from then on, and the data is deleted once the retention period
    # (LESSONLOOP_RETENTION_DAYS) after it has passed. A reinstall clears both.
    uninstalled_at: Mapped[datetime | None]
    uninstall_reason: Mapped[str | None] = mapped_column(String(32))


class ChatAddress(Base):
    """How to reach a conversation or a person later, without being asked (a proactive
    message): the platform's service endpoint for them and, for a person, the 1:1
    conversation once there is one. Learned from each verified activity, per workspace
    (a Teams tenant), so one tenant's addresses never serve another."""

    __tablename__ = "chat_addresses"

    platform: Mapped[Platform] = mapped_column(string_enum(Platform), primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref, primary_key=True)
    # A conversation's id, or a person's.
    ref: Mapped[str] = mapped_column(Ref, primary_key=True)
    service_url: Mapped[str] = mapped_column(String(500))
    # Who the app is in that workspace (Teams' bot id, "28:…").
    bot_ref: Mapped[str] = mapped_column(Ref)
    # A person's 1:1 conversation with the app, once opened.
    conversation_ref: Mapped[str | None] = mapped_column(Ref)
    # The name the platform last gave (a person's display name), to mention them by.
    name: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime]
