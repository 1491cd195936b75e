"""`db check`: is the database reachable with DATABASE_URL, and how far is its schema migrated?"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from pipeline.db.engine import alembic_config, connect, database_errors, describe
from pipeline.errors import ConfigError, DatabaseError
from pipeline.settings import Settings

# Where the deploy workflow reads the URL from: named in every failure, since that is what to change.
WHERE_IN_ACTIONS = "in GitHub Actions: the `production` environment's secret DATABASE_URL (Settings → Environments)"


@dataclass(frozen=True)
class DatabaseReport:
    """The database `db check` reached: where (password masked), its server, its migration and the newest one."""

    where: str
    server: str
    revision: str | None
    head: str | None

    ok = True  # unreachable is an error, raised; an unmigrated schema is what a new database looks like

    def lines(self) -> list[str]:
        if self.revision is None:
            schema = "no tables yet: the first deploy creates them (deploy.yml runs `db upgrade`)"
        elif self.revision == self.head:
            schema = f"at migration {self.revision}, the newest"
        else:
            schema = f"at migration {self.revision}, behind {self.head}: the next deploy migrates it"
        return [f"database {self.where} is reachable ({self.server})", f"schema: {schema}"]


def check_database(settings: Settings) -> DatabaseReport:
    """Connect (as deploy does: TLS, retries while Neon wakes) and read the server version and migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    try:
        engine = connect(settings)
    except (ConfigError, DatabaseError) as error:
        raise type(error)(f"{error}; {WHERE_IN_ACTIONS}") from None
    try:
        with database_errors(engine, "db check"), engine.connect() as conn:
            server = str(conn.execute(text("SHOW server_version")).scalar())
            revision = MigrationContext.configure(conn).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        return DatabaseReport(describe(engine), f"PostgreSQL {server}", revision, head)
    finally:
        engine.dispose()
