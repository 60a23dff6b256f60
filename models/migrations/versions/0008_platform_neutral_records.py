"""platform-neutral records: wide references, message times as times

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

Every id column becomes a 255-character reference (Microsoft Teams' ids run to about a
hundred characters; Slack's fit in 32). Slack `ts` strings did two jobs, naming a message
and telling when it was sent: the names stay as references (`thread_ref`, `prompt_ref`,
`message_ref`, `source_ref`, `dm_ref`) and the times become datetimes (`said_at`,
`edited_at`, `opened_at`, `changed_at`, `closed_at`). Handled and inbound events are keyed
by (platform, event id); `slack_channels` becomes `conversations`. Every row is kept.

On SQLite each altered table is rebuilt (batch mode); the app runs migrations with foreign
keys off there (models.core.db.upgrade_schema), so rebuilding a parent table does not
cascade into its children.
"""

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ID = sa.String(length=32)
OLD_EVENT_ID = sa.String(length=64)
REF = sa.String(length=255)
TIME = sa.DateTime(timezone=True)
_PLATFORM = sa.Enum(
    "slack",
    "teams",
    name="platform",
    native_enum=False,
    length=16,
    create_constraint=True,
)

# Columns that only get wider, by table. Renamed and converted columns are listed below.
_WIDENED: dict[str, tuple[str, ...]] = {
    "action_events": ("team_id", "actor_id"),
    "actions": ("team_id", "channel_id", "owner_id", "created_by"),
    "answers": ("team_id", "author_id"),
    "board_summaries": ("team_id", "channel_id", "posted_in", "posted_by"),
    "channel_settings": ("team_id", "channel_id", "updated_by"),
    "coach_nudges": ("team_id", "user_id"),
    "deliveries": ("team_id", "recipient_id"),
    "inbound_events": ("team_id",),
    "lesson_drafts": ("team_id", "channel_id", "author_id"),
    "lessons": ("team_id", "channel_id", "author_id"),
    "pending_message_changes": ("team_id", "channel_id"),
    "people": ("team_id", "user_id"),
    "postmortem_steps": ("opened_by",),
    "postmortems": ("team_id", "channel_id", "facilitator_id"),
    "review_items": ("team_id", "owner_id"),
    "review_reminders": ("owner_id", "team_id"),
    "review_schedules": ("team_id", "channel_id", "updated_by"),
    "reviews": ("team_id", "channel_id"),
    "timeline_entries": ("team_id", "channel_id", "author_id", "added_by"),
}
# (table, old name, new name): message references that keep their value.
_RENAMED = (
    ("postmortems", "thread_ts", "thread_ref"),
    ("postmortems", "prompt_ts", "prompt_ref"),
    ("answers", "message_ts", "message_ref"),
    ("pending_message_changes", "message_ts", "message_ref"),
    ("lessons", "source_ts", "source_ref"),
    ("timeline_entries", "source_ts", "source_ref"),
    ("review_reminders", "dm_channel", "dm_conversation"),
    ("review_reminders", "dm_ts", "dm_ref"),
)

_TS = re.compile(r"\s*(\d{1,12})(?:\.(\d{1,9}))?\s*")


def time_of_ts(ts: str | None) -> datetime | None:
    """A Slack message time ("1764770000.123456", seconds since the epoch; stored zero-padded
    by earlier revisions) as an aware UTC datetime, to the microsecond, without going through
    a float. None for anything else."""
    match = _TS.fullmatch(ts) if isinstance(ts, str) else None
    if match is None:
        return None
    microseconds = int((match[2] or "")[:6].ljust(6, "0"))
    return datetime.fromtimestamp(int(match[1]), UTC) + timedelta(microseconds=microseconds)


def ts_of_time(at: datetime | None) -> str | None:
    """The inverse, for the downgrade."""
    if at is None:
        return None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    delta = at - datetime(1970, 1, 1, tzinfo=UTC)
    return f"{delta.days * 86400 + delta.seconds}.{delta.microseconds:06d}"


def _convert(
    table: str,
    source: Sequence[str | sa.ColumnClause[Any]],
    target: str,
    target_type: sa.types.TypeEngine[Any],
    compute: Callable[..., Any],
) -> None:
    """Fill `target` from `source` columns, row by row in Python (exact, and the same on
    every database), written with bound parameters so each dialect stores its own format."""
    bind = op.get_bind()
    columns = [sa.column(c) if isinstance(c, str) else c for c in ("id", *source)]
    rows = bind.execute(sa.select(*columns).select_from(sa.table(table))).all()
    values = [{"row_id": row[0], "value": compute(*row[1:])} for row in rows]
    if not values:
        return
    written = sa.table(table, sa.column("id"), sa.column(target, target_type))
    bind.execute(
        written.update()
        .where(written.c.id == sa.bindparam("row_id"))
        .values({target: sa.bindparam("value", type_=target_type)}),
        values,
    )


def _dialect() -> str:
    return op.get_bind().dialect.name


def upgrade() -> None:
    """Upgrade schema."""
    _upgrade_times()
    _upgrade_widths_and_names()
    _upgrade_events()
    _upgrade_conversations()
    _rename_payload_key("prompt_ts", "prompt_ref")
    if _dialect() == "sqlite":
        # Rebuilding `lessons` dropped the triggers that keep its search index in step.
        for statement in _SQLITE_SEARCH_TRIGGERS:
            op.execute(statement)
        op.execute("INSERT INTO lessons_fts(lessons_fts) VALUES ('rebuild')")


def _rename_payload_key(old: str, new: str) -> None:
    """A retired step's buttons are owed with the prompt's reference in the delivery's
    payload; deliveries not yet sent are read by the new sender under the new name."""
    bind = op.get_bind()
    deliveries = sa.table(
        "deliveries", sa.column("id"), sa.column("kind"), sa.column("payload", sa.JSON)
    )
    rows = bind.execute(
        sa.select(deliveries.c.id, deliveries.c.payload).where(
            deliveries.c.kind == "postmortem.step_done"
        )
    ).all()
    values = [
        {"row_id": row.id, "value": {(new if k == old else k): v for k, v in row.payload.items()}}
        for row in rows
        if isinstance(row.payload, dict) and old in row.payload
    ]
    if values:
        bind.execute(
            deliveries.update()
            .where(deliveries.c.id == sa.bindparam("row_id"))
            .values(payload=sa.bindparam("value", type_=sa.JSON)),
            values,
        )


def _upgrade_times() -> None:
    # New time columns first (nullable: adding them rebuilds nothing), filled from the old
    # strings; the old strings go when the tables are rebuilt below.
    op.add_column("answers", sa.Column("said_at", TIME, nullable=True))
    op.add_column("answers", sa.Column("edited_at", TIME, nullable=True))
    op.add_column("postmortem_steps", sa.Column("opened_at", TIME, nullable=True))
    op.add_column("pending_message_changes", sa.Column("changed_at", TIME, nullable=True))

    def at_or(ts: str | None, fallback: Any) -> datetime | None:
        return time_of_ts(ts) or fallback

    _convert("answers", ("message_ts", sa.column("created_at", TIME)), "said_at", TIME, at_or)
    _convert("answers", ("edited_ts",), "edited_at", TIME, time_of_ts)
    # A step whose time does not read (none should) opened when its review was created.
    op.execute(
        "UPDATE postmortem_steps SET opened_at = (SELECT created_at FROM postmortems "
        "WHERE postmortems.id = postmortem_steps.postmortem_id)"
    )
    _convert(
        "postmortem_steps",
        ("opened_ts", sa.column("opened_at", TIME)),
        "opened_at",
        TIME,
        lambda ts, opened: time_of_ts(ts) or opened,
    )
    _convert(
        "pending_message_changes",
        ("changed_ts", sa.column("created_at", TIME)),
        "changed_at",
        TIME,
        at_or,
    )
    # `closed_at` was when the Close click was processed, `closed_ts` the click itself
    # (never later): the click is what decides which replies count.
    _convert("postmortems", ("closed_ts", sa.column("closed_at", TIME)), "closed_at", TIME, at_or)


def _upgrade_widths_and_names() -> None:
    renamed: dict[str, list[tuple[str, str]]] = {}
    for table, old, new in _RENAMED:
        renamed.setdefault(table, []).append((old, new))
    dropped = {
        "answers": ("edited_ts",),
        "postmortem_steps": ("opened_ts",),
        "pending_message_changes": ("changed_ts",),
        "postmortems": ("closed_ts",),
    }
    filled = {
        "answers": ("said_at",),
        "postmortem_steps": ("opened_at",),
        "pending_message_changes": ("changed_at",),
    }
    # Constraints naming a renamed column are dropped before the rename and made again
    # after it, each in its own batch: Alembic's SQLite rebuild loses a constraint that is
    # made in the same batch as a rename of its column.
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_answers_postmortem_id_message_ts", type_="unique")
    with op.batch_alter_table("postmortems", schema=None) as batch_op:
        batch_op.drop_constraint("uq_postmortems_team_id_channel_id_thread_ts", type_="unique")
    with op.batch_alter_table("pending_message_changes", schema=None) as batch_op:
        batch_op.drop_constraint(
            "uq_pending_message_changes_team_id_channel_id_message_ts", type_="unique"
        )
    with op.batch_alter_table("postmortem_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_postmortem_steps_postmortem_id_opened_ts")
    for table in sorted(_WIDENED.keys() | renamed.keys()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in _WIDENED.get(table, ()):
                batch_op.alter_column(column, existing_type=OLD_ID, type_=REF)
            for old, new in renamed.get(table, ()):
                batch_op.alter_column(old, new_column_name=new, existing_type=OLD_ID, type_=REF)
            for column in dropped.get(table, ()):
                batch_op.drop_column(column)
            for column in filled.get(table, ()):
                batch_op.alter_column(column, existing_type=TIME, nullable=False)
            if table == "answers":
                batch_op.alter_column("event_id", existing_type=OLD_EVENT_ID, type_=REF)
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_answers_postmortem_id_message_ref"), ["postmortem_id", "message_ref"]
        )
    with op.batch_alter_table("postmortems", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_postmortems_team_id_channel_id_thread_ref"),
            ["team_id", "channel_id", "thread_ref"],
        )
    with op.batch_alter_table("pending_message_changes", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_pending_message_changes_team_id_channel_id_message_ref"),
            ["team_id", "channel_id", "message_ref"],
        )
    with op.batch_alter_table("postmortem_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_postmortem_steps_postmortem_id_opened_at"),
            ["postmortem_id", "opened_at"],
            unique=False,
        )


def _upgrade_events() -> None:
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        # Every event stored so far came from Slack.
        batch_op.add_column(
            sa.Column("platform", _PLATFORM, nullable=False, server_default="slack")
        )
        batch_op.alter_column("event_id", existing_type=OLD_EVENT_ID, type_=REF)
        batch_op.drop_constraint("uq_inbound_events_event_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_inbound_events_platform_event_id"), ["platform", "event_id"]
        )
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        # New rows say which platform they came from.
        batch_op.alter_column("platform", existing_type=_PLATFORM, server_default=None)

    op.create_table(
        "handled_events",
        sa.Column("platform", _PLATFORM, nullable=False),
        sa.Column("event_id", REF, nullable=False),
        sa.Column("team_id", REF, nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("platform", "event_id", name=op.f("pk_handled_events")),
    )
    with op.batch_alter_table("handled_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handled_events_received_at"), ["received_at"], unique=False
        )
    op.execute(
        "INSERT INTO handled_events (platform, event_id, team_id, received_at) "
        "SELECT 'slack', event_id, team_id, received_at FROM slack_events"
    )
    with op.batch_alter_table("slack_events", schema=None) as batch_op:
        batch_op.drop_index("ix_slack_events_received_at")
    op.drop_table("slack_events")


def _upgrade_conversations() -> None:
    op.create_table(
        "conversations",
        sa.Column("team_id", REF, nullable=False),
        sa.Column("channel_id", REF, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_private", sa.Boolean(), nullable=False),
        sa.Column("checked_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("team_id", "channel_id", name=op.f("pk_conversations")),
    )
    op.execute(
        "INSERT INTO conversations (team_id, channel_id, name, is_private, checked_at) "
        "SELECT team_id, channel_id, name, is_private, checked_at FROM slack_channels"
    )
    op.drop_table("slack_channels")


# As revision 0004 created them; written out so this revision keeps meaning the same.
_SQLITE_SEARCH_TRIGGERS = (
    "CREATE TRIGGER lessons_fts_insert AFTER INSERT ON lessons BEGIN "
    "INSERT INTO lessons_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER lessons_fts_delete AFTER DELETE ON lessons BEGIN "
    "INSERT INTO lessons_fts(lessons_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER lessons_fts_update AFTER UPDATE OF text ON lessons BEGIN "
    "INSERT INTO lessons_fts(lessons_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO lessons_fts(rowid, text) VALUES (new.id, new.text); END",
)


def downgrade() -> None:
    """Downgrade schema. References longer than 32 characters (another platform's) do not
    fit the old columns: the downgrade fails on them rather than cutting them short."""
    op.create_table(
        "slack_channels",
        sa.Column("team_id", OLD_ID, nullable=False),
        sa.Column("channel_id", OLD_ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_private", sa.Boolean(), nullable=False),
        sa.Column("checked_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("team_id", "channel_id", name=op.f("pk_slack_channels")),
    )
    op.execute(
        "INSERT INTO slack_channels (team_id, channel_id, name, is_private, checked_at) "
        "SELECT team_id, channel_id, name, is_private, checked_at FROM conversations"
    )
    op.drop_table("conversations")

    op.create_table(
        "slack_events",
        sa.Column("event_id", OLD_EVENT_ID, nullable=False),
        sa.Column("team_id", OLD_ID, nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_slack_events")),
    )
    with op.batch_alter_table("slack_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_events_received_at"), ["received_at"], unique=False
        )
    op.execute(
        "INSERT INTO slack_events (event_id, team_id, received_at) "
        "SELECT event_id, team_id, received_at FROM handled_events WHERE platform = 'slack'"
    )
    with op.batch_alter_table("handled_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handled_events_received_at"))
    op.drop_table("handled_events")

    _rename_payload_key("prompt_ref", "prompt_ts")
    op.execute("DELETE FROM inbound_events WHERE platform <> 'slack'")
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_inbound_events_platform_event_id", type_="unique")
        batch_op.drop_constraint(batch_op.f("ck_inbound_events_platform"), type_="check")
        batch_op.drop_column("platform")
        batch_op.alter_column("event_id", existing_type=REF, type_=OLD_EVENT_ID)
        batch_op.create_unique_constraint(batch_op.f("uq_inbound_events_event_id"), ["event_id"])

    op.add_column("answers", sa.Column("edited_ts", OLD_ID, nullable=True))
    op.add_column("postmortem_steps", sa.Column("opened_ts", OLD_ID, nullable=True))
    op.add_column("pending_message_changes", sa.Column("changed_ts", OLD_ID, nullable=True))
    op.add_column("postmortems", sa.Column("closed_ts", OLD_ID, nullable=True))
    # The earlier revisions compared these strings: zero-padded, as they wrote them.
    padded = lambda at: None if at is None else f"{ts_of_time(at):0>19}"  # noqa: E731
    for table, column in (
        ("answers", "edited_at"),
        ("postmortem_steps", "opened_at"),
        ("pending_message_changes", "changed_at"),
        ("postmortems", "closed_at"),
    ):
        old = column.replace("_at", "_ts")
        _convert(table, (sa.column(column, TIME),), old, OLD_ID, padded)

    renamed: dict[str, list[tuple[str, str]]] = {}
    for table, old, new in _RENAMED:
        renamed.setdefault(table, []).append((old, new))
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_answers_postmortem_id_message_ref", type_="unique")
    with op.batch_alter_table("postmortems", schema=None) as batch_op:
        batch_op.drop_constraint("uq_postmortems_team_id_channel_id_thread_ref", type_="unique")
    with op.batch_alter_table("pending_message_changes", schema=None) as batch_op:
        batch_op.drop_constraint(
            "uq_pending_message_changes_team_id_channel_id_message_ref", type_="unique"
        )
    with op.batch_alter_table("postmortem_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_postmortem_steps_postmortem_id_opened_at")
    dropped = {
        "answers": ("said_at", "edited_at"),
        "postmortem_steps": ("opened_at",),
        "pending_message_changes": ("changed_at",),
    }
    filled = {"postmortem_steps": ("opened_ts",), "pending_message_changes": ("changed_ts",)}
    for table in sorted(_WIDENED.keys() | renamed.keys()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in dropped.get(table, ()):
                batch_op.drop_column(column)
            for column in filled.get(table, ()):
                batch_op.alter_column(column, existing_type=OLD_ID, nullable=False)
            if table == "answers":
                batch_op.alter_column("event_id", existing_type=REF, type_=OLD_EVENT_ID)
            for column in _WIDENED.get(table, ()):
                batch_op.alter_column(column, existing_type=REF, type_=OLD_ID)
            for old, new in renamed.get(table, ()):
                batch_op.alter_column(new, new_column_name=old, existing_type=REF, type_=OLD_ID)
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_answers_postmortem_id_message_ts"), ["postmortem_id", "message_ts"]
        )
    with op.batch_alter_table("postmortems", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_postmortems_team_id_channel_id_thread_ts"),
            ["team_id", "channel_id", "thread_ts"],
        )
    with op.batch_alter_table("pending_message_changes", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_pending_message_changes_team_id_channel_id_message_ts"),
            ["team_id", "channel_id", "message_ts"],
        )
    with op.batch_alter_table("postmortem_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_postmortem_steps_postmortem_id_opened_ts"),
            ["postmortem_id", "opened_ts"],
            unique=False,
        )
    if _dialect() == "sqlite":
        for statement in _SQLITE_SEARCH_TRIGGERS:
            op.execute(statement)
        op.execute("INSERT INTO lessons_fts(lessons_fts) VALUES ('rebuild')")
