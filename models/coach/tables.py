"""Coach tables: nudges already given."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.core.base import Base, string_enum
from models.core.references import Ref
from models.postmortems.phases import Phase


class CoachNudge(Base):
    """A private reframing note the coach gave; at most one per person per phase.

    Who was nudged is kept only to enforce that limit; reports count nudges, never name them."""

    __tablename__ = "coach_nudges"
    __table_args__ = (UniqueConstraint("postmortem_id", "phase", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    phase: Mapped[Phase] = mapped_column(string_enum(Phase))
    user_id: Mapped[str] = mapped_column(Ref)
    created_at: Mapped[datetime]
