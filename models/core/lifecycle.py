"""A workspace's life with the app: installed, stopped (uninstalled, tokens revoked or
refused), and its data deleted or exported.

Which tables hold a workspace's data is read from the schema itself: every table with a
`team_id` column, every table reached from one through a foreign key (a post-mortem's
steps), and the workspace's settings row. A table added later is covered without a
change here; tests/models/core/test_lifecycle.py fails for one that is neither.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, MetaData, Table, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from models.core import installations
from models.core.base import Base
from models.core.clock import Clock
from models.core.tables import Delivery, DeliveryStatus, Workspace
from models.core.workspaces import SLACK, Workspaces

DEFAULT_RETENTION = timedelta(days=30)
WORKSPACE_COLUMN = "team_id"
# A table that holds nothing of any one workspace says so in its info (SHARED_INFO: why):
# OAuth states live before a workspace is known, for minutes; a feature's process-wide
# cursors belong to no workspace.
SHARED_INFO = "shared"


def is_shared(table: Table) -> bool:
    return bool(table.info.get(SHARED_INFO))


@dataclass(frozen=True, slots=True)
class Stopped:
    team_id: str
    at: datetime
    reason: str
    cancelled_deliveries: int


@dataclass(frozen=True, slots=True)
class Deleted:
    team_id: str
    rows: dict[str, int]  # per table, only tables that had some

    @property
    def total(self) -> int:
        return sum(self.rows.values())


class WorkspaceLifecycle:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        workspaces: Workspaces,
        *,
        retention: timedelta = DEFAULT_RETENTION,
        metadata: MetaData = Base.metadata,
        platform: str = SLACK,
    ) -> None:
        self._sessions, self._clock, self._workspaces = sessions, clock, workspaces
        self._retention, self._metadata, self._platform = retention, metadata, platform

    @property
    def retention(self) -> timedelta:
        return self._retention

    def stopped(self, *, team_id: str, reason: str) -> Stopped:
        """The platform stopped the app in this workspace: nothing pending is sent, and
        the data is kept for the retention period from the first stop."""
        self._workspaces.settings(team_id=team_id)  # the row exists from here on
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = session.get_one(Workspace, (self._platform, team_id))
            if row.uninstalled_at is None:
                row.uninstalled_at, row.uninstall_reason = now, reason[:32]
            result = session.execute(
                update(Delivery)
                .where(Delivery.team_id == team_id, Delivery.status == DeliveryStatus.PENDING)
                .values(
                    status=DeliveryStatus.FAILED,
                    last_error=f"workspace stopped: {reason}"[:500],
                    claimed_until=None,
                )
            )
            cancelled = _changed(result)
            return Stopped(team_id, row.uninstalled_at, row.uninstall_reason or reason, cancelled)

    def installed(self, *, team_id: str) -> None:
        """Installed (again): a reinstall within the retention period keeps everything."""
        self._workspaces.settings(team_id=team_id)
        with self._sessions.begin() as session:
            row = session.get_one(Workspace, (self._platform, team_id))
            row.uninstalled_at, row.uninstall_reason = None, None

    def stopped_since(self, *, team_id: str) -> datetime | None:
        with self._sessions() as session:
            return session.scalar(
                select(Workspace.uninstalled_at).where(
                    Workspace.platform == self._platform, Workspace.workspace_ref == team_id
                )
            )

    def due_for_deletion(self) -> list[str]:
        """Workspaces stopped longer ago than the retention period."""
        cutoff = self._clock.now() - self._retention
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(Workspace.workspace_ref)
                    .where(
                        Workspace.platform == self._platform,
                        Workspace.uninstalled_at.is_not(None),
                        Workspace.uninstalled_at <= cutoff,
                    )
                    .order_by(Workspace.workspace_ref)
                )
            )

    def purge_expired(self) -> list[Deleted]:
        """Delete every workspace whose retention period is over (the scheduler's tick)."""
        return [self.delete(team_id=team_id) for team_id in self.due_for_deletion()]

    def delete(self, *, team_id: str) -> Deleted:
        """Every row of the workspace, its tokens included, in one transaction."""
        counts: dict[str, int] = {}
        with self._sessions.begin() as session:
            for table, where in self._scopes(team_id):
                deleted = _changed(session.execute(delete(table).where(where)))
                if deleted:
                    counts[table.name] = deleted
        self._workspaces.drop_cached(team_id=team_id)
        return Deleted(team_id, counts)

    def export(self, *, team_id: str) -> dict[str, Any]:
        """Every row of the workspace as JSON-ready data, table by table; no tokens."""
        tables: dict[str, list[dict[str, Any]]] = {}
        with self._sessions() as session:
            for table, where in reversed(list(self._scopes(team_id))):
                columns = [c for c in table.c if c.name not in installations.SECRET_COLUMNS]
                key = [c for c in table.primary_key.columns]
                rows = session.execute(select(*columns).where(where).order_by(*key)).mappings()
                tables[table.name] = [{k: _plain(v) for k, v in row.items()} for row in rows]
        return {
            "workspace": team_id,
            "platform": self._platform,
            "exported_at": self._clock.now().isoformat(),
            "tables": tables,
        }

    def count(self, *, team_id: str) -> dict[str, int]:
        """Rows per table the workspace has (tables with none left out)."""
        counts: dict[str, int] = {}
        with self._sessions() as session:
            for table, where in self._scopes(team_id):
                found = session.scalar(select(func.count()).select_from(table).where(where))
                if found:
                    counts[table.name] = found
        return counts

    def _scopes(self, team_id: str) -> Iterator[tuple[Table, ColumnElement[bool]]]:
        """Each table holding the workspace's rows with the condition that selects them,
        dependents before the tables they refer to (the order deletion needs)."""
        for table in reversed(self._metadata.sorted_tables):
            where = workspace_condition(table, team_id, platform=self._platform)
            if where is not None:
                yield table, where


def workspace_condition(
    table: Table, team_id: str, *, platform: str = SLACK
) -> ColumnElement[bool] | None:
    """What selects the workspace's rows of `table`; None for a table holding none."""
    if table.name == Workspace.__tablename__:
        return (table.c.platform == platform) & (table.c.workspace_ref == team_id)
    if WORKSPACE_COLUMN in table.c:
        return table.c[WORKSPACE_COLUMN] == team_id
    for key in table.foreign_keys:
        parent = key.column.table
        if isinstance(parent, Table) and WORKSPACE_COLUMN in parent.c:
            owned = select(key.column).where(parent.c[WORKSPACE_COLUMN] == team_id)
            return key.parent.in_(owned)
    return None


def _changed(result: Any) -> int:
    return max(int(result.rowcount), 0)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value
