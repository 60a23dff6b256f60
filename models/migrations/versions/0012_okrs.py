"""okrs: objectives, key results, check-ins and links

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

New tables only: an action or lesson serves a key result through a link table of its
own, so the actions and lessons tables are unchanged.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "objectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=255), nullable=False),
        sa.Column("channel_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.String(length=255), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["objectives.id"],
            name=op.f("fk_objectives_parent_id_objectives"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objectives")),
    )
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objectives_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_objectives_team_id_channel_id_ends_on"),
            ["team_id", "channel_id", "ends_on"],
            unique=False,
        )

    op.create_table(
        "key_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=255), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.String(length=255), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "number",
                "percent",
                "milestone",
                name="keyresultkind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("start_value", sa.Float(), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=False),
        sa.Column("current_value", sa.Float(), nullable=True),
        sa.Column(
            "confidence",
            sa.Enum(
                "on_track",
                "at_risk",
                "off_track",
                name="confidence",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "measure",
            sa.Enum(
                "open_lessons",
                "on_time_pct",
                "postmortems",
                "days_review",
                name="measure",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("implausible", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["objectives.id"],
            name=op.f("fk_key_results_objective_id_objectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_results")),
    )
    with op.batch_alter_table("key_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_results_objective_id"), ["objective_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_key_results_team_id_owner_id"), ["team_id", "owner_id"], unique=False
        )

    op.create_table(
        "key_result_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=255), nullable=False),
        sa.Column("key_result_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column(
            "confidence",
            sa.Enum(
                "on_track",
                "at_risk",
                "off_track",
                name="confidence",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by_id", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_result_id"],
            ["key_results.id"],
            name=op.f("fk_key_result_checkins_key_result_id_key_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_result_checkins")),
    )
    with op.batch_alter_table("key_result_checkins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_result_checkins_key_result_id_at"),
            ["key_result_id", "at"],
            unique=False,
        )

    op.create_table(
        "key_result_lessons",
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("key_result_id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.String(length=255), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_result_id"],
            ["key_results.id"],
            name=op.f("fk_key_result_lessons_key_result_id_key_results"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_key_result_lessons_lesson_id_lessons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("lesson_id", name=op.f("pk_key_result_lessons")),
    )
    with op.batch_alter_table("key_result_lessons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_result_lessons_key_result_id"), ["key_result_id"], unique=False
        )

    op.create_table(
        "key_result_actions",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("key_result_id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.String(length=255), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
            name=op.f("fk_key_result_actions_action_id_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["key_result_id"],
            ["key_results.id"],
            name=op.f("fk_key_result_actions_key_result_id_key_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_key_result_actions")),
    )
    with op.batch_alter_table("key_result_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_result_actions_key_result_id"), ["key_result_id"], unique=False
        )

    op.create_table(
        "key_result_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=255), nullable=False),
        sa.Column("owner_id", sa.String(length=255), nullable=False),
        sa.Column("cycle_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dm_conversation", sa.String(length=255), nullable=True),
        sa.Column("dm_ref", sa.String(length=255), nullable=True),
        sa.Column("followup_planned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_result_requests")),
        sa.UniqueConstraint(
            "team_id",
            "owner_id",
            "cycle_on",
            name=op.f("uq_key_result_requests_team_id_owner_id_cycle_on"),
        ),
    )
    with op.batch_alter_table("key_result_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_result_requests_cycle_on"), ["cycle_on"], unique=False
        )

    op.create_table(
        "key_result_request_items",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("key_result_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_result_id"],
            ["key_results.id"],
            name=op.f("fk_key_result_request_items_key_result_id_key_results"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["key_result_requests.id"],
            name=op.f("fk_key_result_request_items_request_id_key_result_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "request_id", "key_result_id", name=op.f("pk_key_result_request_items")
        ),
    )
    with op.batch_alter_table("key_result_request_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_result_request_items_key_result_id"),
            ["key_result_id"],
            unique=False,
        )

    op.create_table(
        "okr_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=255), nullable=False),
        sa.Column("channel_id", sa.String(length=255), nullable=False),
        sa.Column("period_key", sa.String(length=64), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("requested_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_okr_reviews")),
        sa.UniqueConstraint(
            "team_id",
            "channel_id",
            "period_key",
            name=op.f("uq_okr_reviews_team_id_channel_id_period_key"),
        ),
    )

    op.create_table(
        "okr_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=255), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("key_result_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=255), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_result_id"],
            ["key_results.id"],
            name=op.f("fk_okr_changes_key_result_id_key_results"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["objectives.id"],
            name=op.f("fk_okr_changes_objective_id_objectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_okr_changes")),
    )
    with op.batch_alter_table("okr_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_okr_changes_objective_id"), ["objective_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("okr_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_okr_changes_objective_id"))
    op.drop_table("okr_changes")
    op.drop_table("okr_reviews")
    with op.batch_alter_table("key_result_request_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_result_request_items_key_result_id"))
    op.drop_table("key_result_request_items")
    with op.batch_alter_table("key_result_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_result_requests_cycle_on"))
    op.drop_table("key_result_requests")
    with op.batch_alter_table("key_result_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_result_actions_key_result_id"))

    op.drop_table("key_result_actions")
    with op.batch_alter_table("key_result_lessons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_result_lessons_key_result_id"))

    op.drop_table("key_result_lessons")
    with op.batch_alter_table("key_result_checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_result_checkins_key_result_id_at"))

    op.drop_table("key_result_checkins")
    with op.batch_alter_table("key_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_results_team_id_owner_id"))
        batch_op.drop_index(batch_op.f("ix_key_results_objective_id"))

    op.drop_table("key_results")
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objectives_team_id_channel_id_ends_on"))
        batch_op.drop_index(batch_op.f("ix_objectives_parent_id"))

    op.drop_table("objectives")
