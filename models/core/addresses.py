"""Where to reach conversations and people proactively (see tables.ChatAddress)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, update

from models.core.clock import Clock
from models.core.db import Sessions, insert_if_absent
from models.core.references import Platform
from models.core.tables import ChatAddress


@dataclass(frozen=True, slots=True)
class Address:
    team_id: str
    ref: str
    service_url: str
    bot_ref: str
    conversation_ref: str | None
    name: str | None = None

    @classmethod
    def of(cls, row: ChatAddress) -> Address:
        return cls(
            team_id=row.team_id,
            ref=row.ref,
            service_url=row.service_url,
            bot_ref=row.bot_ref,
            conversation_ref=row.conversation_ref,
            name=row.name,
        )


class Addresses:
    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions, self._clock = sessions, clock

    def remember(
        self,
        *,
        platform: Platform,
        team_id: str,
        refs: tuple[str, ...],
        service_url: str,
        bot_ref: str,
        names: dict[str, str] | None = None,
    ) -> None:
        """Where `refs` (a conversation, the person who wrote in it) were last heard from,
        and what the platform calls them (`names`, by reference)."""
        names = names or {}
        now = self._clock.now()
        with self._sessions.begin() as session:
            for ref in dict.fromkeys(refs):
                fresh = insert_if_absent(
                    session,
                    ChatAddress,
                    platform=platform,
                    team_id=team_id,
                    ref=ref,
                    service_url=service_url,
                    bot_ref=bot_ref,
                    conversation_ref=None,
                    name=names.get(ref),
                    updated_at=now,
                )
                if not fresh:
                    named = {"name": names[ref]} if ref in names else {}
                    session.execute(
                        update(ChatAddress)
                        .where(*_key(platform, team_id, ref))
                        .values(service_url=service_url, bot_ref=bot_ref, updated_at=now, **named)
                    )

    def opened(self, *, platform: Platform, team_id: str, ref: str, conversation_ref: str) -> None:
        """The 1:1 conversation with person `ref` is `conversation_ref`."""
        with self._sessions.begin() as session:
            session.execute(
                update(ChatAddress)
                .where(*_key(platform, team_id, ref))
                .values(conversation_ref=conversation_ref, updated_at=self._clock.now())
            )

    def conversations(
        self, *, platform: Platform, team_id: str, prefix: str, limit: int
    ) -> list[Address]:
        """Addresses in a workspace whose reference starts with `prefix` (the platform's
        mark of a conversation, as opposed to a person), most recently heard from first,
        at most `limit`."""
        with self._sessions() as session:
            rows = session.scalars(
                select(ChatAddress)
                .where(
                    ChatAddress.platform == platform,
                    ChatAddress.team_id == team_id,
                    ChatAddress.ref.startswith(prefix, autoescape=True),
                )
                .order_by(ChatAddress.updated_at.desc(), ChatAddress.ref)
                .limit(limit)
            )
            return [Address.of(row) for row in rows]

    def names(self, *, platform: Platform, team_id: str, refs: Collection[str]) -> dict[str, str]:
        """The names known for `refs`, by reference (one query)."""
        if not refs:
            return {}
        with self._sessions() as session:
            rows = session.execute(
                select(ChatAddress.ref, ChatAddress.name).where(
                    ChatAddress.platform == platform,
                    ChatAddress.team_id == team_id,
                    ChatAddress.ref.in_(refs),
                    ChatAddress.name.is_not(None),
                )
            )
            return {ref: name for ref, name in rows if name}

    def find(self, *, platform: Platform, team_id: str, ref: str) -> Address | None:
        with self._sessions() as session:
            row = session.scalar(select(ChatAddress).where(*_key(platform, team_id, ref)))
            return None if row is None else Address.of(row)


def _key(platform: Platform, team_id: str, ref: str) -> tuple[ColumnElement[bool], ...]:
    return (
        ChatAddress.platform == platform,
        ChatAddress.team_id == team_id,
        ChatAddress.ref == ref,
    )
