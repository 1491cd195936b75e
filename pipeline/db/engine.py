"""Connect to the runtime database (DATABASE_URL, or an embedded PostgreSQL) and migrate it with Alembic."""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from pipeline.errors import ConfigError, DatabaseError
from pipeline.settings import Settings, mask_url

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_PGDATA = Path(".pipeline/pgdata")
# A suspended Neon compute takes a few seconds to wake: retry the first connection with backoff.
CONNECT_DELAYS = (0.5, 1.0, 2.0, 4.0)
# Failures that waiting will not cure: say so at once.
_PERMANENT = (
    "password authentication failed",
    "does not exist",
    "could not translate host name",
    "invalid ",
    "no pg_hba.conf entry",
)  # invalid dsn / connection option / sslmode value / integer value


def normalize_url(url: str) -> str:
    """`postgres://` and `postgresql://` -> `postgresql+psycopg2://`; query parameters (sslmode=require) kept."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    if url.startswith("postgresql+psycopg2://"):
        return url
    raise ConfigError(
        f"DATABASE_URL {mask_url(url)!r} is not a PostgreSQL URL; "
        "write postgresql://user:password@host/db?sslmode=require"
    )


def embedded_url(pgdata: Path = DEFAULT_PGDATA) -> str:
    """Start (or reuse) the embedded PostgreSQL in `pgdata` and return its psycopg2 URL; it keeps running."""
    try:
        pgdata.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the embedded PostgreSQL's folder {pgdata}: {exc.strerror}; "
            "set PIPELINE_PGDATA to a folder you can write to, or set DATABASE_URL"
        ) from None
    try:
        with warnings.catch_warnings():
            # platformdirs warns on every start when XDG_RUNTIME_DIR is unset (CI, containers): noise, not news.
            warnings.simplefilter("ignore")
            import pgserver

            server = pgserver.get_server(pgdata.resolve(), cleanup_mode=None)
    except Exception as exc:  # pgserver raises plain exceptions from initdb/pg_ctl
        raise DatabaseError(
            f"could not start the embedded PostgreSQL in {pgdata}: {exc}; "
            "delete that folder to start afresh, or set DATABASE_URL"
        ) from None
    return normalize_url(server.get_uri())


def parse_database_url(url: str) -> URL:
    """The URL SQLAlchemy connects with (psycopg2 driver), or a ConfigError saying how to write it."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ConfigError(
            f"DATABASE_URL {mask_url(url)!r} cannot be parsed; write postgresql://user:password@host:5432/db"
        ) from None
    if "@" in (parsed.host or ""):  # an unescaped "@" in the password: the rest of it would be taken for the host
        raise ConfigError(
            f"DATABASE_URL {mask_url(url)!r} has an '@' in its user name or password; write it as %40 (percent-encoded)"
        )
    return parsed


def engine_for(url: str) -> Engine:
    """An Engine for `url` with Neon's needs: pre-ping, NullPool behind the -pooler, no session state."""
    parsed = parse_database_url(url)
    host = parsed.host or ""
    # 15 s unless the URL says otherwise (connect_args would override the URL's own ?connect_timeout=).
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": 15}
    options: dict[str, object] = {"pool_pre_ping": True, "connect_args": connect_args}
    if "-pooler" in host:
        # PgBouncer in transaction mode pools for us; a second pool here would hold server connections idle.
        options["poolclass"] = NullPool
    return create_engine(parsed, **options)


def connect(settings: Settings, delays: tuple[float, ...] = CONNECT_DELAYS) -> Engine:
    """An Engine on DATABASE_URL (or the embedded PostgreSQL), proven by a first connection."""
    in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
    if not settings.database_url and in_actions and settings.pgdata_dir == DEFAULT_PGDATA:
        # An empty secret expands to "": a deploy into a runner's throwaway database would report success.
        raise ConfigError(
            "DATABASE_URL is empty (a missing secret?): in GitHub Actions the embedded PostgreSQL "
            "dies with the runner and the real database would never change; set the DATABASE_URL "
            "secret (or PIPELINE_PGDATA to use an embedded one on purpose)"
        )
    url = settings.database_url or embedded_url(settings.pgdata_dir)
    engine = engine_for(url)
    shown = mask_url(engine.url.render_as_string(hide_password=False))
    for attempt in range(len(delays) + 1):
        try:
            with engine.connect() as conn:
                conn.execute(sqlalchemy.text("SELECT 1"))
            return engine
        except DBAPIError as exc:
            reason = _first_line(exc)
            if attempt == len(delays) or any(p in reason.lower() for p in _PERMANENT):
                engine.dispose()
                raise DatabaseError(
                    f"cannot connect to {shown}: {mask_url(reason)}; check DATABASE_URL "
                    "(unset it to use the embedded PostgreSQL)"
                ) from None
            log.info("database not ready (%s); retrying in %.1f s", mask_url(reason), delays[attempt])
            time.sleep(delays[attempt])
    raise AssertionError("unreachable")


@contextmanager
def database_errors(engine: Engine, what: str) -> Iterator[None]:
    """Turn a statement that failed inside the block into DatabaseError naming `what`, the database and the fix."""
    try:
        yield
    except DBAPIError as exc:
        reason = _first_line(exc)
        advice = (
            "run `python -m pipeline db upgrade` first"
            if "does not exist" in reason
            else "check the database and run the command again"
        )
        raise DatabaseError(f"{what} on {describe(engine)} failed: {mask_url(reason)}; {advice}") from None


def _first_line(exc: DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic configured in code: works from any working directory, no alembic.ini needed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Apply the migrations up to `revision`; return the database's revision afterwards."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.util.exc import CommandError

    try:
        with engine.begin() as conn:
            config = alembic_config(engine)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            return MigrationContext.configure(conn).get_current_revision()
    except DBAPIError as exc:
        raise DatabaseError(f"migration failed on {describe(engine)}: {mask_url(_first_line(exc))}") from None
    except CommandError as exc:  # e.g. the database is at a migration this checkout does not have (a newer one)
        raise DatabaseError(
            f"migration failed on {describe(engine)}: {exc}; the database was migrated by another "
            "version of the pipeline: run `db upgrade` from that version (or a newer one)"
        ) from None


def describe(engine: Engine) -> str:
    """The engine's URL with the password masked, for messages."""
    return mask_url(engine.url.render_as_string(hide_password=False))


@dataclass(frozen=True)
class MigrationReport:
    """Where `db upgrade` left the database."""

    database: str  # the URL, password masked
    revision: str | None
    ok = True

    def lines(self) -> list[str]:
        return [f"database {self.database} is at migration {self.revision}"]


def upgrade_database(settings: Settings) -> MigrationReport:
    """Connect (DATABASE_URL, or the embedded PostgreSQL) and apply every migration."""
    engine = connect(settings)
    return MigrationReport(describe(engine), upgrade(engine))
