"""jira sync: issues standing for actions and lessons, each channel's project, Jira
accounts of people, and the reconciliation cursor

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

New tables only: nothing is tracked in Jira until JIRA_URL is set, and existing actions
and lessons get issues only through `/postmortem jira sync`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "jira_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=255), nullable=False),
        sa.Column(
            "record",
            sa.Enum(
                "action",
                "lesson",
                name="tracked",
                native_enum=False,
                length=16,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("issue_key", sa.String(length=64), nullable=False),
        sa.Column("pushed_category", sa.String(length=16), nullable=True),
        sa.Column("pushed_due", sa.Date(), nullable=True),
        sa.Column("pushed_owner", sa.String(length=255), nullable=True),
        sa.Column("pushed_summary", sa.String(length=255), nullable=True),
        sa.Column("remote_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jira_issues")),
        sa.UniqueConstraint("record", "record_id", name=op.f("uq_jira_issues_record_record_id")),
    )
    op.create_index(op.f("ix_jira_issues_issue_key"), "jira_issues", ["issue_key"], unique=True)
    op.create_table(
        "jira_channels",
        sa.Column("team_id", sa.String(length=255), nullable=False),
        sa.Column("channel_id", sa.String(length=255), nullable=False),
        sa.Column("project_key", sa.String(length=32), nullable=True),
        sa.Column("updated_by", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "channel_id", name=op.f("pk_jira_channels")),
    )
    op.create_table(
        "jira_people",
        sa.Column("team_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=True),
        sa.Column("looked_up_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_jira_people")),
    )
    op.create_index(op.f("ix_jira_people_account_id"), "jira_people", ["account_id"], unique=False)
    op.create_table(
        "jira_cursors",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("reconciled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_jira_cursors")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("jira_cursors")
    op.drop_index(op.f("ix_jira_people_account_id"), table_name="jira_people")
    op.drop_table("jira_people")
    op.drop_table("jira_channels")
    op.drop_index(op.f("ix_jira_issues_issue_key"), table_name="jira_issues")
    op.drop_table("jira_issues")
