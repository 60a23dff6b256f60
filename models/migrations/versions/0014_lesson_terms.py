"""lesson terms: each lesson's full-text lexemes in id order, for the recurring-lesson check

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

PostgreSQL only. The recurring-lesson check reads, for each word of a new lesson, the latest
few earlier lessons that use it. A GIN index returns its matches unordered, so PostgreSQL
either read every match and sorted them or walked the primary key backwards testing `@@` on
each row: both grow with the library (a word in 1% of 100,000 lessons means 5,000 rows walked
for 50 matches). A B-tree on (team, kind, lexeme, lesson id) gives "the latest 50 lessons of
this team and kind with this lexeme" as one short index range, whatever the library's size.
SQLite needs nothing: its FTS5 index is already ordered by rowid.

The rows are kept in step with `lessons` by a trigger (from the generated `search_vector`,
so the lexemes are exactly those full-text search sees) and deleted with their lesson.
Like the full-text objects of 0004, the table is made by hand and left out of the
models-vs-migrations comparison (models.lessons.search_schema). Migrations run under
models.core.db.upgrade_schema's lock, so processes starting at once do not race here.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_TERMS = (
    "CREATE TABLE lesson_terms ("
    " team_id VARCHAR(255) NOT NULL,"
    " kind VARCHAR(16) NOT NULL,"
    " term TEXT NOT NULL,"
    " lesson_id INTEGER NOT NULL"
    " CONSTRAINT fk_lesson_terms_lesson_id_lessons REFERENCES lessons (id) ON DELETE CASCADE,"
    " CONSTRAINT pk_lesson_terms PRIMARY KEY (team_id, kind, term, lesson_id))",
    # For the cascade when a lesson is deleted.
    "CREATE INDEX ix_lesson_terms_lesson_id ON lesson_terms (lesson_id)",
    "CREATE FUNCTION lesson_terms_refresh() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP = 'UPDATE' THEN DELETE FROM lesson_terms WHERE lesson_id = OLD.id; END IF;"
    " INSERT INTO lesson_terms (team_id, kind, term, lesson_id)"
    " SELECT NEW.team_id, NEW.kind, term, NEW.id"
    " FROM unnest(tsvector_to_array(NEW.search_vector)) AS term;"
    " RETURN NULL; END $$",
    "CREATE TRIGGER lesson_terms_insert AFTER INSERT ON lessons"
    " FOR EACH ROW EXECUTE FUNCTION lesson_terms_refresh()",
    "CREATE TRIGGER lesson_terms_update AFTER UPDATE OF text, team_id, kind ON lessons"
    " FOR EACH ROW EXECUTE FUNCTION lesson_terms_refresh()",
    "INSERT INTO lesson_terms (team_id, kind, term, lesson_id)"
    " SELECT l.team_id, l.kind, t.term, l.id"
    " FROM lessons AS l CROSS JOIN unnest(tsvector_to_array(l.search_vector)) AS t(term)",
)


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_TERMS:
            op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER lesson_terms_update ON lessons")
        op.execute("DROP TRIGGER lesson_terms_insert ON lessons")
        op.execute("DROP FUNCTION lesson_terms_refresh()")
        op.execute("DROP TABLE lesson_terms")
