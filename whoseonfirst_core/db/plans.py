"""Query plans that do not depend on the statistics of the day.

SQLite's planner changes its mind after ``ANALYZE`` (which the service runs on a schedule, see
``usecases.retention``): with statistics of a long history it judges ordering along
``due_at`` cheaper than the few rows a status lookup finds, and reads the whole table. The
tick's queries over the history name their index with :func:`indexed_by`: SQLite then uses it
or refuses the query (an error, not a slow tick, if the index is ever gone). PostgreSQL has no
hints and needs none here; ``tests/core/test_history_plans.py`` checks its plans.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.sql.expression import FromClause

S = TypeVar("S", bound=Select[Any])


def _sqlite_from_hint(
    _compiler: SQLiteCompiler, _table: FromClause, text: str | None
) -> str | None:
    return text


# SQLAlchemy's SQLite compiler drops table hints (it has no syntax of its own for them);
# SQLite's is the text after the table name, which is what a hint given for "sqlite" is.
SQLiteCompiler.get_from_hint_text = _sqlite_from_hint  # type: ignore[method-assign,assignment]


def indexed_by(stmt: S, table: Any, index: str) -> S:
    """``stmt`` reading ``table`` through ``index`` on SQLite (unchanged elsewhere)."""
    return stmt.with_hint(table, f"INDEXED BY {index}", "sqlite")
