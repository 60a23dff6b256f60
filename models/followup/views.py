"""Frozen views of follow-through: meeting schedules, action listings, agendas."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.actions.views import ActionView, TrendPoint
from models.followup.cadence import Cadenced


@dataclass(frozen=True, slots=True)
class ScheduleView:
    team_id: str
    channel_id: str
    cadence: Cadenced
    next_reviews: tuple[datetime, ...]
    updated_by: str

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.cadence.zone)


@dataclass(frozen=True, slots=True)
class MeetingView:
    id: int
    team_id: str
    channel_id: str
    scheduled_at: datetime
    timezone: str

    @property
    def local_at(self) -> datetime:
        return self.scheduled_at.astimezone(ZoneInfo(self.timezone))


# The most actions one listing shows (a DM or an ephemeral message stays readable).
SHOWN_PER_LISTING = 200


class ScopeKind(StrEnum):
    MEETING = "r"  # the actions listed in an owner's reminder for one review meeting
    OWNER = "o"  # someone's open actions, in every channel
    OWNER_OVERDUE = "v"  # someone's overdue actions
    CHANNEL = "c"  # a channel's open actions
    CHANNEL_OVERDUE = "d"  # a channel's overdue actions


@dataclass(frozen=True, slots=True)
class Scope:
    """Which actions a listing shows; it travels in button values, so it is short."""

    kind: ScopeKind
    subject: str
    review_id: int | None = None

    def encode(self) -> str:
        if self.kind is ScopeKind.MEETING:
            return f"{self.kind.value}:{self.review_id}:{self.subject}"
        return f"{self.kind.value}:{self.subject}"

    @classmethod
    def decode(cls, text: str) -> Scope:
        kind, _, rest = text.partition(":")
        if ScopeKind(kind) is ScopeKind.MEETING:
            review_id, _, owner = rest.partition(":")
            return cls(ScopeKind.MEETING, owner, int(review_id))
        return cls(ScopeKind(kind), rest)


@dataclass(frozen=True, slots=True)
class ListingView:
    scope: Scope
    actions: tuple[ActionView, ...]
    today: date
    total: int
    review: MeetingView | None = None
    updated: frozenset[int] = field(default_factory=frozenset)

    @property
    def overdue(self) -> tuple[ActionView, ...]:
        return tuple(a for a in self.actions if a.is_overdue(self.today))


@dataclass(frozen=True, slots=True)
class Unreachable:
    user_id: str
    error: str


@dataclass(frozen=True, slots=True)
class AgendaView:
    review: MeetingView
    today: date
    by_owner: tuple[tuple[str, tuple[ActionView, ...]], ...]
    done_since: tuple[ActionView, ...]
    since: datetime
    not_responded: tuple[str, ...]
    unreachable: tuple[Unreachable, ...]
    now: TrendPoint
    before: tuple[TrendPoint, ...]

    @property
    def trend(self) -> str:
        """`shrank`, `grew`, `same`, `mixed` (actions and lessons moved apart) or `first`."""
        if not self.before:
            return "first"
        now, last = self.now, self.before[0]
        deltas = (now.open_actions - last.open_actions, now.open_lessons - last.open_lessons)
        if deltas == (0, 0):
            return "same"
        if all(d <= 0 for d in deltas):
            return "shrank"
        if all(d >= 0 for d in deltas):
            return "grew"
        return "mixed"


@dataclass
class PlanReport:
    """What one planning pass owed (rows newly written to the outbox)."""

    meetings: int = 0
    reminders: int = 0
    followups: int = 0
    agendas: int = 0
    overdue: int = 0
