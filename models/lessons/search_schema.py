"""Names of the full-text search objects that migrations 0004 and 0014 create by hand.

Autogenerate cannot describe an FTS5 virtual table, its shadow tables and triggers, a
generated tsvector column, or a table kept by a trigger, so the models-vs-migrations
comparison leaves them out.
"""

from __future__ import annotations

from typing import Any

SQLITE_FTS_TABLE = "lessons_fts"
POSTGRES_VECTOR_COLUMN = "search_vector"
POSTGRES_VECTOR_INDEX = "ix_lessons_search_vector"
POSTGRES_TAGS_INDEX = "ix_lessons_tags"  # an expression index: GIN on tags::jsonb
# Each lesson's lexemes in id order, for the recurring-lesson check (migration 0014).
POSTGRES_TERMS_TABLE = "lesson_terms"
# Both GIN indexes have fastupdate off (migration 0007): no pending list for searches to
# scan, so the planner's default costs choose them.


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    return not (
        type_ == "table"
        and name is not None
        and (name.startswith(SQLITE_FTS_TABLE) or name == POSTGRES_TERMS_TABLE)
    )


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "column" and name == POSTGRES_VECTOR_COLUMN:
        return False
    if type_ == "index" and name in (POSTGRES_VECTOR_INDEX, POSTGRES_TAGS_INDEX):
        return False
    return include_name(name, type_, None)
