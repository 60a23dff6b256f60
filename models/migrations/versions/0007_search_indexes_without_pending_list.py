"""search GIN indexes write through (fastupdate off)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

PostgreSQL only (SQLite's FTS5 table has no such list; this revision is a no-op there).
By default a GIN index queues new entries in a "pending list" until VACUUM or 4 MB of
them; every search scans that whole list, and the planner prices the index by its size.
With lessons arriving between vacuums, the search vector and tags indexes carried
thousands of pending entries (all 100,000 in a freshly loaded library): index scans cost
several times more, the planner preferred reading the whole table, and search needed
`SET LOCAL random_page_cost` to use its indexes. Writing entries straight into the index
costs each insert a little and keeps every search's cost what the index says.

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The names migration 0004 gave them (models.lessons.search_schema); written out so this revision
# keeps meaning the same thing if those constants change later.
_GIN_INDEXES = ("ix_lessons_search_vector", "ix_lessons_tags")


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in _GIN_INDEXES:
        op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
        # Turning it off does not empty the list already there; this moves its entries
        # into the index now instead of at the next VACUUM.
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in _GIN_INDEXES:
        op.execute(f"ALTER INDEX {index} RESET (fastupdate)")
