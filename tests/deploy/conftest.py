"""Deploy-area helpers: settings pointing at the test database and a copy of data/, and table snapshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from pipeline.settings import Settings

TABLES = ("modules", "module_sections", "module_revisions", "module_assignments", "module_progress",
          "module_analytics_events", "notion_writeback")


@pytest.fixture
def settings(migrated_engine: Engine, database_url: str, module_tree: Path) -> Settings:
    """Settings for a deploy of the copied data/modules into the freshly migrated test database."""
    return Settings(database_url=database_url, modules_dir=module_tree, source_commit="c0ffee" * 6 + "abcd")


def snapshot(engine: Engine) -> dict[str, list[Any]]:
    """Every row of every runtime table, as comparable JSON text (for "nothing changed" assertions)."""
    with engine.connect() as conn:
        return {table: sorted(json.dumps(dict(row), default=str, sort_keys=True)
                              for row in conn.execute(text(f"SELECT * FROM {table}")).mappings())
                for table in TABLES}


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def execute(engine: Engine, sql: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def edit_module(path: Path, **changes: Any) -> dict[str, Any]:
    """Rewrite a module file with top-level `changes`; returns the new data."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return data
