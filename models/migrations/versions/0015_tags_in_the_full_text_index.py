"""SQLite: lesson tags in the full-text index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

SQLite only (PostgreSQL answers `tag:` from its GIN index on `tags::jsonb`; this revision is
a no-op there). A search such as `timeout tag:database` used to read every lesson matching
the words and test the tag on each row: with a common word that is thousands of rows, one
lookup each. With the tags as a second FTS5 column, FTS5 intersects the two lists itself
and only lessons carrying both come out. Ranking ignores the column (bm25 weight 0). The
index reads the JSON text of `tags` (`["on-call", "release"]`), so a tag is matched as a
phrase of its words and then confirmed exactly against the JSON.

The table is rebuilt from `lessons` (external content). Migrations run under
models.core.db.upgrade_schema's lock, so processes starting at once do not race here.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROP = (
    "DROP TRIGGER lessons_fts_insert",
    "DROP TRIGGER lessons_fts_delete",
    "DROP TRIGGER lessons_fts_update",
    "DROP TABLE lessons_fts",
)


def _index(columns: str, watched: str) -> tuple[str, ...]:
    """The FTS5 table over `columns` of lessons, its triggers, and its rebuild."""
    new = ", ".join(f"new.{c}" for c in columns.split(", "))
    old = ", ".join(f"old.{c}" for c in columns.split(", "))
    return (
        f"CREATE VIRTUAL TABLE lessons_fts USING fts5({columns},"
        " content='lessons', content_rowid='id', tokenize='porter unicode61')",
        "CREATE TRIGGER lessons_fts_insert AFTER INSERT ON lessons BEGIN "
        f"INSERT INTO lessons_fts(rowid, {columns}) VALUES (new.id, {new}); END",
        "CREATE TRIGGER lessons_fts_delete AFTER DELETE ON lessons BEGIN "
        f"INSERT INTO lessons_fts(lessons_fts, rowid, {columns}) "
        f"VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER lessons_fts_update AFTER UPDATE OF {watched} ON lessons BEGIN "
        f"INSERT INTO lessons_fts(lessons_fts, rowid, {columns}) "
        f"VALUES ('delete', old.id, {old}); "
        f"INSERT INTO lessons_fts(rowid, {columns}) VALUES (new.id, {new}); END",
        "INSERT INTO lessons_fts(lessons_fts) VALUES ('rebuild')",
    )


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name == "sqlite":
        for statement in (*_DROP, *_index("text, tags", "text, tags")):
            op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "sqlite":
        for statement in (*_DROP, *_index("text", "text")):
            op.execute(statement)
