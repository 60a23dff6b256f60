"""board summaries

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "board_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("posted_in", sa.String(length=32), nullable=False),
        sa.Column("posted_by", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=200), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_summaries")),
    )
    with op.batch_alter_table("board_summaries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_board_summaries_team_id_channel_id_posted_at"),
            ["team_id", "channel_id", "posted_at"],
            unique=False,
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("board_summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_summaries_team_id_channel_id_posted_at"))

    op.drop_table("board_summaries")
