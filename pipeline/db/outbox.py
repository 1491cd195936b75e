"""The `notion_writeback` outbox: deploy writes one row per deployed revision; the writeback stage drains it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, text

ERROR_LIMIT = 2000  # characters of last_error kept: enough to diagnose, never a whole HTTP body
# A task whose Notion page is gone is closed ('done', as the state CHECK allows) with its error starting so;
# `writeback --retry MODULE_ID` reopens such tasks.
GONE_PREFIX = "page gone: "


@dataclass(frozen=True)
class WritebackTask:
    """One module revision Notion must be told about (Status = Live, PR link, Last Updated)."""

    id: int
    module_id: str
    revision: int
    notion_page_id: str | None
    source_commit: str | None
    deployed_at: datetime
    attempts: int


def pending_writebacks(engine: Engine, limit: int = 100) -> list[WritebackTask]:
    """The oldest pending tasks first (at most `limit`)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, module_id, revision, notion_page_id, source_commit, deployed_at, attempts "
                "FROM notion_writeback WHERE state = 'pending' ORDER BY id LIMIT :limit"
            ),
            {"limit": limit},
        ).all()
    return [WritebackTask(*row) for row in rows]


def retired_modules(engine: Engine, module_ids: list[str]) -> set[str]:
    """Which of these modules are deployed as retired (their Notion page keeps its Retired/Archived Status)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT module_id FROM modules WHERE status = 'retired' AND module_id = ANY(:ids)"),
            {"ids": module_ids},
        ).all()
    return {row[0] for row in rows}


def mark_writeback_done(engine: Engine, task_id: int) -> None:
    """Record that Notion now shows the task's revision as live."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE notion_writeback SET state = 'done', done_at = now() WHERE id = :id"), {"id": task_id}
        )


def record_writeback_failure(engine: Engine, task_id: int, error: str) -> None:
    """Count a failed attempt and keep its (already redacted) error; the task stays pending."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE notion_writeback SET attempts = attempts + 1, last_error = :error WHERE id = :id"),
            {"id": task_id, "error": error[:ERROR_LIMIT]},
        )


def close_writeback_gone(engine: Engine, task_id: int, error: str) -> None:
    """Stop retrying a task whose Notion page no longer exists (or is not shared): closed, its error kept."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE notion_writeback SET state = 'done', done_at = now(), attempts = attempts + 1, "
                "last_error = :error WHERE id = :id"
            ),
            {"id": task_id, "error": (GONE_PREFIX + error)[:ERROR_LIMIT]},
        )


def reopen_gone_writebacks(engine: Engine, module_id: str) -> int:
    """Queue again the tasks of `module_id` closed because their page was gone; returns how many."""
    with engine.begin() as conn:
        result = conn.execute(
            text(
                "UPDATE notion_writeback SET state = 'pending', done_at = NULL, "
                "last_error = 'queued again after ' || last_error "
                "WHERE module_id = :module_id AND state = 'done' AND starts_with(last_error, :prefix)"
            ),
            {"module_id": module_id, "prefix": GONE_PREFIX},
        )
    return result.rowcount
