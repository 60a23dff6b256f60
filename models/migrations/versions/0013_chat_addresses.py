"""chat addresses: where to reach a conversation or a person proactively (Teams)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
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
        "chat_addresses",
        sa.Column("platform", _PLATFORM, nullable=False),
        sa.Column("team_id", sa.String(length=255), nullable=False),
        sa.Column("ref", sa.String(length=255), nullable=False),
        sa.Column("service_url", sa.String(length=500), nullable=False),
        sa.Column("bot_ref", sa.String(length=255), nullable=False),
        sa.Column("conversation_ref", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "team_id", "ref", name=op.f("pk_chat_addresses")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("chat_addresses")
