"""workspace settings: time zone, coach and review defaults per workspace

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Rows are created on first use from the process defaults (LESSONLOOP_TIMEZONE), so an
existing installation needs no data here: its one workspace gets today's settings the
first time it is read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "workspaces",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("workspace_ref", sa.String(length=255), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("coach_enabled", sa.Boolean(), nullable=False),
        sa.Column("review_cadence", sa.String(length=16), nullable=True),
        sa.Column("review_weekday", sa.Integer(), nullable=True),
        sa.Column("review_week_of_month", sa.Integer(), nullable=True),
        sa.Column("review_day_of_month", sa.Integer(), nullable=True),
        sa.Column("review_time", sa.String(length=5), nullable=False),
        sa.Column("review_lead_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("platform", "workspace_ref", name=op.f("pk_workspaces")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("workspaces")
