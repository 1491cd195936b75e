"""The runtime schema: migrations on an empty database, models equal to migrations, connection handling."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from pipeline.cli import main
from pipeline.db.engine import connect, engine_for, normalize_url, upgrade
from pipeline.db.models import Base
from pipeline.errors import ConfigError, DatabaseError
from pipeline.settings import Settings
from tests.sql import TABLES, execute, newest_migration


def test_upgrade_on_an_empty_database_creates_every_table(empty_database: Engine) -> None:
    revision = upgrade(empty_database)

    assert revision == newest_migration()
    assert set(TABLES) <= set(inspect(empty_database).get_table_names())


def test_upgrade_twice_is_a_no_op(migrated_engine: Engine) -> None:
    assert upgrade(migrated_engine) == newest_migration()


def test_models_match_the_migrations(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)

    assert diff == []


def test_analytics_events_are_append_only(migrated_engine: Engine, settings: Settings) -> None:
    from pipeline.deploy.apply import deploy

    deploy(None, settings)
    execute(
        migrated_engine,
        "INSERT INTO module_analytics_events (module_id, event_type) VALUES ('lab-safety-101', 'section_viewed')",
    )

    with pytest.raises(DBAPIError, match="append-only"):
        execute(migrated_engine, "UPDATE module_analytics_events SET event_type = 'x'")
    with pytest.raises(DBAPIError, match="append-only"):
        execute(migrated_engine, "DELETE FROM module_analytics_events")


@pytest.mark.parametrize("url", ["postgres://u:p@h/db?sslmode=require", "postgresql://u:p@h/db?sslmode=require"])
def test_postgres_urls_use_psycopg2_and_keep_sslmode(url: str) -> None:
    assert normalize_url(url) == "postgresql+psycopg2://u:p@h/db?sslmode=require"


def test_neon_pooler_host_gets_no_client_pool_and_pre_ping() -> None:
    pooled = engine_for("postgresql://u:p@ep-cool-1-pooler.us-east-2.aws.neon.tech/db?sslmode=require")
    direct = engine_for("postgresql://u:p@ep-cool-1.us-east-2.aws.neon.tech/db?sslmode=require")

    assert isinstance(pooled.pool, NullPool)
    assert not isinstance(direct.pool, NullPool)
    assert direct.pool._pre_ping
    assert direct.url.query["sslmode"] == "require"


def test_a_non_postgres_url_is_refused_with_its_password_masked() -> None:
    with pytest.raises(ConfigError) as caught:
        normalize_url("mysql://admin:hunter2secret@db.example.org/app")

    assert "hunter2secret" not in str(caught.value)
    assert "admin:***@" in str(caught.value)


def test_a_bad_database_url_error_masks_the_password(database_url: str, capsys, monkeypatch) -> None:
    bad = make_url(database_url).set(password="hunter2secret", database="no_such_db")
    monkeypatch.setenv("DATABASE_URL", bad.render_as_string(hide_password=False))

    status = main(["status"])

    err = capsys.readouterr().err
    assert status == 1
    assert "no_such_db" in err and "does not exist" in err
    assert "hunter2secret" not in err and ":***@" in err


def test_a_refused_connection_is_retried_then_reported_masked() -> None:
    settings = Settings(database_url="postgresql://app:hunter2secret@127.0.0.1:9/db")

    with pytest.raises(DatabaseError) as caught:
        connect(settings, delays=(0.01, 0.01))

    assert "hunter2secret" not in str(caught.value)
    assert "app:***@127.0.0.1:9/db" in str(caught.value)


def test_without_database_url_an_embedded_postgresql_starts_in_pgdata_dir() -> None:
    import shutil
    import tempfile
    from pathlib import Path

    import pgserver

    pgdata = Path(tempfile.mkdtemp(prefix="pipeline-embedded-")) / "pgdata"
    try:
        engine = connect(Settings(pgdata_dir=pgdata))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        engine.dispose()
        assert (pgdata / "PG_VERSION").exists()
    finally:
        server = pgserver.get_server(pgdata.resolve())  # the instance connect() started (pgserver caches it)
        server.cleanup_mode = "stop"
        server.cleanup()
        shutil.rmtree(pgdata.parent, ignore_errors=True)


@pytest.mark.parametrize(
    "url", ["postgresql://app:hunter2secret@db.example.org:five432/app", "postgresql://app:hunter2secret@[::1/app"]
)
def test_a_database_url_that_cannot_be_parsed_is_a_configuration_error_without_traceback(url, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url)

    status = main(["status"])

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("error: DATABASE_URL") and "cannot be parsed" in err
    assert "hunter2secret" not in err and "Traceback" not in err


def test_an_unescaped_at_sign_in_the_password_shows_no_part_of_it(capsys, monkeypatch) -> None:
    # given a password with a raw "@": everything after it would be taken for the host name
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:hunter2@secret@127.0.0.1:9/db")

    status = main(["-v", "db", "upgrade"])

    err = capsys.readouterr().err
    assert status == 2
    assert "%40" in err and "app:***@127.0.0.1:9/db" in err
    assert "hunter2" not in err and "secret" not in err


def test_a_pgdata_folder_that_cannot_be_created_is_a_configuration_error(tmp_path, capsys, monkeypatch) -> None:
    a_file = tmp_path / "pgdata"
    a_file.write_text("not a folder")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PIPELINE_PGDATA", str(a_file / "data"))

    status = main(["status"])

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("error: cannot create the embedded PostgreSQL's folder") and "PIPELINE_PGDATA" in err


@pytest.mark.parametrize("command", [["status"], ["status", "lab-safety-101"], ["writeback"]])
def test_reading_a_database_that_was_never_migrated_says_to_run_db_upgrade(
    command, empty_database: Engine, database_url: str, capsys, monkeypatch
) -> None:
    # given DATABASE_URL names a database `db upgrade` never ran on
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("NOTION_TOKEN", "ntn_not_asked_before_the_database")
    monkeypatch.setenv("NOTION_DATA_SOURCE_ID", "248104cd-477e-80af-bc30-000bd28de8f9")

    status = main(command)

    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("error: ") and "does not exist" in err and "python -m pipeline db upgrade" in err
    assert "Traceback" not in err


def test_db_upgrade_on_a_database_migrated_by_a_newer_pipeline_says_so(
    migrated_engine: Engine, database_url: str, capsys, monkeypatch
) -> None:
    # given a newer version of the pipeline migrated this database to a revision this checkout does not have
    execute(migrated_engine, "UPDATE alembic_version SET version_num = '0099'")
    monkeypatch.setenv("DATABASE_URL", database_url)

    status = main(["db", "upgrade"])

    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("error: migration failed on") and "'0099'" in err and "another version" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("query", "expected"), [({}, 15), ({"connect_timeout": "3"}, "3")])
def test_the_connect_timeout_in_database_url_is_honoured(query: dict, expected: object, database_url: str) -> None:
    from sqlalchemy import event

    # given DATABASE_URL with or without its own connect_timeout (e.g. 3 s to fail fast on an unreachable host)
    url = make_url(database_url).update_query_dict(query).render_as_string(hide_password=False)
    engine = engine_for(url)
    seen: list[dict] = []
    event.listen(engine, "do_connect", lambda dialect, record, cargs, cparams: seen.append(dict(cparams)))

    # when it connects, then psycopg2 is given that timeout (15 s when the URL names none)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()
    assert seen[0]["connect_timeout"] == expected


def test_an_invalid_connection_option_is_reported_at_once_not_retried(database_url: str, caplog) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="pipeline.db.engine")
    url = make_url(database_url).update_query_dict({"sslmode": "sometimes"}).render_as_string(hide_password=False)

    with pytest.raises(DatabaseError) as caught:
        connect(Settings(database_url=url))

    assert 'invalid sslmode value: "sometimes"' in str(caught.value) and "check DATABASE_URL" in str(caught.value)
    assert "retrying" not in caplog.text  # waiting cannot cure a typo


def test_a_password_with_a_space_is_masked_too(database_url: str, capsys, monkeypatch) -> None:
    # given a password typed with a space (not percent-encoded): the driver shows the URL with the space kept
    bad = make_url(database_url).set(database="no_such_db").render_as_string(hide_password=False)
    rest = bad.split("://", 1)[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:hunter2 secret@{rest.split('@', 1)[-1]}")

    status = main(["status"])

    err = capsys.readouterr().err
    assert status == 1 and "no_such_db" in err
    assert "hunter2" not in err and "secret@" not in err


@pytest.mark.parametrize("command", [["db", "upgrade"], ["deploy"], ["status"]])
def test_in_actions_an_empty_database_url_is_refused_not_deployed_to_a_throwaway_database(
    command, module_tree, tmp_path, capsys, monkeypatch
) -> None:
    # given a workflow whose DATABASE_URL secret is missing (Actions expands it to "")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.delenv("PIPELINE_PGDATA", raising=False)
    monkeypatch.setenv("MODULES_DIR", str(module_tree))

    status = main(command)

    # then it stops with a configuration error instead of starting an embedded PostgreSQL on the runner
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("error: DATABASE_URL is empty") and "secret" in err
    assert not (tmp_path / ".pipeline").exists()
