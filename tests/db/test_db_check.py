"""`python -m pipeline db check`: the database is reachable, and how far its schema is migrated."""

from __future__ import annotations

from pipeline.cli import main


def test_a_new_database_is_reachable_and_says_the_first_deploy_creates_the_tables(
    empty_database, database_url, monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["db", "check"]) == 0

    out = capsys.readouterr().out
    assert "is reachable (PostgreSQL " in out
    assert "no tables yet: the first deploy creates them" in out


def test_a_migrated_database_names_its_migration(migrated_engine, database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["db", "check"]) == 0
    assert "the newest" in capsys.readouterr().out


def test_a_wrong_password_names_the_secret_to_change_and_hides_the_password(
    empty_database, database_url, monkeypatch, capsys
):
    from sqlalchemy.engine import make_url

    wrong = make_url(database_url).set(password="not-the-password-123", username="nobody")
    monkeypatch.setenv("DATABASE_URL", wrong.render_as_string(hide_password=False))

    code = main(["db", "check"])

    err = capsys.readouterr().err
    assert code == 1
    assert "DATABASE_URL" in err and "`production` environment's secret DATABASE_URL" in err
    assert "not-the-password-123" not in err and "Traceback" not in err


def test_an_empty_secret_in_actions_is_refused_naming_it(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PIPELINE_PGDATA", raising=False)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    assert main(["db", "check"]) == 2
    err = capsys.readouterr().err
    assert "DATABASE_URL is empty" in err and "Settings → Environments" in err
