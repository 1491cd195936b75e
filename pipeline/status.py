"""What is live: each module's deployed revision, read from the runtime database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, text

from pipeline.db.engine import connect, database_errors
from pipeline.errors import ConfigError
from pipeline.settings import Settings


@dataclass(frozen=True)
class ModuleStatus:
    """One module as the database serves it."""

    module_id: str
    title: str
    revision: int
    content_hash: str
    source_commit: str | None
    deployed_at: datetime
    section_count: int
    archived_at: datetime | None

    def render(self) -> str:
        state = f"archived {self.archived_at:%Y-%m-%d %H:%M}Z" if self.archived_at else "live"
        commit = (self.source_commit or "no commit")[:12]
        return (
            f"{self.module_id:<40} r{self.revision:<4} {state:<24} {self.section_count:>3} sections  "
            f"{self.content_hash[:19]}  {commit}  {self.deployed_at:%Y-%m-%d %H:%M:%S}Z"
        )


def module_statuses(engine: Engine, module_id: str | None = None) -> list[ModuleStatus]:
    """Every module (or one), ordered by id; ConfigError when `module_id` was never deployed."""
    with database_errors(engine, "reading the live modules"), engine.connect() as conn:
        rows = conn.execute(
            text("""
            SELECT m.module_id, m.title, m.revision, m.content_hash, m.source_commit,
                   m.deployed_at AT TIME ZONE 'UTC', count(s.section_id), m.archived_at AT TIME ZONE 'UTC'
            FROM modules m LEFT JOIN module_sections s ON s.module_id = m.module_id
            WHERE CAST(:id AS text) IS NULL OR m.module_id = :id
            GROUP BY m.module_id ORDER BY m.module_id
        """),
            {"id": module_id},
        ).all()
    if module_id is not None and not rows:
        raise ConfigError(f"module {module_id!r} has never been deployed; `python -m pipeline status` lists them")
    return [ModuleStatus(*row) for row in rows]


def render_statuses(statuses: list[ModuleStatus]) -> str:
    """A table for the terminal, with a count line."""
    live = sum(1 for s in statuses if s.archived_at is None)
    lines = [s.render() for s in statuses]
    lines.append(f"{live} live, {len(statuses) - live} archived")
    return "\n".join(lines)


@dataclass(frozen=True)
class StatusReport:
    """What is live, for the `status` command."""

    statuses: tuple[ModuleStatus, ...]
    ok = True

    def lines(self) -> list[str]:
        return render_statuses(list(self.statuses)).splitlines()


def live_status(settings: Settings, module_id: str | None = None) -> StatusReport:
    """Every module (or one) as the runtime database holds it."""
    return StatusReport(tuple(module_statuses(connect(settings), module_id)))
