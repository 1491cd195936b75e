"""Reading and writing the test database in plain SQL, to check what the pipeline stored."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, text

TABLES = (
    "modules",
    "module_sections",
    "module_revisions",
    "module_assignments",
    "module_progress",
    "module_analytics_events",
    "notion_writeback",
    "module_attempts",
)


def snapshot(engine: Engine) -> dict[str, list[Any]]:
    """Every row of every runtime table, as comparable JSON text (for "nothing changed" assertions)."""
    with engine.connect() as conn:
        return {
            table: sorted(
                json.dumps(dict(row), default=str, sort_keys=True)
                for row in conn.execute(text(f"SELECT * FROM {table}")).mappings()
            )
            for table in TABLES
        }


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def execute(engine: Engine, sql: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def newest_migration() -> str:
    """The revision id of the newest migration this checkout has (what `db upgrade` leaves a database at)."""
    from alembic.script import ScriptDirectory

    from pipeline.db.engine import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
