"""inbound events, review steps, pending edits and deletions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PHASE = sa.Enum(
    "impact",
    "timeline",
    "went_well",
    "improve",
    "actions",
    "wrap_up",
    name="phase",
    native_enum=False,
    length=16,
    create_constraint=True,
)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "inbound_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_inbound_events_event_id")),
    )
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_events_processed_at_due_at"),
            ["processed_at", "due_at"],
            unique=False,
        )

    op.create_table(
        "postmortem_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("postmortem_id", sa.Integer(), nullable=False),
        sa.Column("phase", _PHASE, nullable=False),
        sa.Column("opened_ts", sa.String(length=32), nullable=False),
        sa.Column("opened_by", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_postmortem_steps_postmortem_id_postmortems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortem_steps")),
    )
    with op.batch_alter_table("postmortem_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_postmortem_steps_postmortem_id_opened_ts"),
            ["postmortem_id", "opened_ts"],
            unique=False,
        )

    op.create_table(
        "pending_message_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "edit",
                "delete",
                name="messagechangekind",
                native_enum=False,
                length=16,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("changed_ts", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_message_changes")),
        sa.UniqueConstraint(
            "team_id",
            "channel_id",
            "message_ts",
            name=op.f("uq_pending_message_changes_team_id_channel_id_message_ts"),
        ),
    )
    with op.batch_alter_table("pending_message_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_message_changes_created_at"), ["created_at"], unique=False
        )

    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited_ts", sa.String(length=32), nullable=True))

    with op.batch_alter_table("postmortems", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_ts", sa.String(length=32), nullable=True))
        batch_op.alter_column("thread_ts", existing_type=sa.String(length=32), nullable=True)

    # Reviews that exist already opened their current step at their root message: without a
    # history, every earlier reply stays where it was recorded and new ones go to the step.
    op.execute(
        "INSERT INTO postmortem_steps (postmortem_id, phase, opened_ts, opened_by) "
        "SELECT id, phase, thread_ts, facilitator_id FROM postmortems"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DELETE FROM postmortems WHERE thread_ts IS NULL")
    with op.batch_alter_table("postmortems", schema=None) as batch_op:
        batch_op.alter_column("thread_ts", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column("closed_ts")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("edited_ts")
    with op.batch_alter_table("pending_message_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_message_changes_created_at"))
    op.drop_table("pending_message_changes")
    with op.batch_alter_table("postmortem_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_postmortem_steps_postmortem_id_opened_ts"))
    op.drop_table("postmortem_steps")
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_events_processed_at_due_at"))
    op.drop_table("inbound_events")
