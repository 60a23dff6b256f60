"""Frozen results of the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.core.tables import Delivery


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    team_id: str
    kind: str
    recipient_id: str
    subject_id: int | None
    payload: dict[str, Any]
    attempts: int

    @classmethod
    def of(cls, row: Delivery) -> DeliveryView:
        return cls(
            row.id,
            row.team_id,
            row.kind,
            row.recipient_id,
            row.subject_id,
            dict(row.payload),
            row.attempts,
        )
