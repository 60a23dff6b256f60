"""inbound progress: the workers' leases and marks for events kept in a file of their own

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

A SQLite database keeps its events in a file beside it (`lessonloop-inbox.db`). The web
process appends each event there before its 200; until now the workers also wrote there
(leases, marks), so an event waiting to be stored sometimes waited for a worker's write,
and a worker runs at idle CPU priority. Their progress now lives in this table of the
main database, one row per event, keyed by its id in the file (models.core.tables.
InboundProgress). Events an earlier version left in the file, processed or not, are read
into it by the first claim with their state. On PostgreSQL events are stored in the
database itself and keep their progress in their own row: the table stays empty there.
Migrations run under models.core.db.upgrade_schema's lock, so processes starting at once
do not race here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PLATFORM = sa.Enum(
    "slack",
    "teams",
    name="platform",
    native_enum=False,
    length=16,
    create_constraint=True,
)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "inbound_progress",
        sa.Column("inbound_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("platform", _PLATFORM, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("inbound_id", name=op.f("pk_inbound_progress")),
    )
    with op.batch_alter_table("inbound_progress", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_progress_processed_at_due_at"),
            ["processed_at", "due_at"],
            unique=False,
        )


def downgrade() -> None:
    """Downgrade schema. An earlier version reads the file's own columns, where nothing is
    marked any more: it processes the events still kept there again, which changes
    nothing (each effect is recorded with its event id, handled_events)."""
    with op.batch_alter_table("inbound_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_progress_processed_at_due_at"))
    op.drop_table("inbound_progress")
