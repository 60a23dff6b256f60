"""Report tables: board summaries already posted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.core.base import Base
from models.core.references import Ref


class BoardSummaryPost(Base):
    """A programme-board summary that was posted, so the next one can say what was completed
    since."""

    __tablename__ = "board_summaries"
    __table_args__ = (Index(None, "team_id", "channel_id", "posted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(Ref)
    channel_id: Mapped[str] = mapped_column(Ref)
    posted_in: Mapped[str] = mapped_column(Ref)
    posted_by: Mapped[str] = mapped_column(Ref)
    period: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[datetime]
