"""Rollback from Git, and the db / deploy / status commands as an operator runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pipeline.cli import main
from pipeline.deploy.apply import deploy
from pipeline.errors import ConfigError
from pipeline.rollback import restore_module_file
from pipeline.settings import Settings
from tests.git_repo import git
from tests.module_builders import edit_module
from tests.sql import newest_migration, scalar


@pytest.fixture
def repo(settings: Settings) -> Path:
    """The copied data/ as a Git repository with one commit."""
    root = settings.modules_dir.parent.parent
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "data")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "modules")
    return root


def commit_all(root: Path, message: str) -> str:
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", message)
    return git(root, "rev-parse", "HEAD")


def test_rollback_restores_the_file_and_deploy_records_a_higher_revision(
    settings: Settings, migrated_engine: Engine, repo: Path
) -> None:
    good = git(repo, "rev-parse", "HEAD")
    path = settings.modules_dir / "lab-safety-101.json"
    original = path.read_bytes()
    deploy(None, settings)
    edit_module(path, title="Broken title")
    commit_all(repo, "bad edit")
    deploy(None, settings)

    restored = restore_module_file("lab-safety-101", good[:10], settings)
    result = deploy(None, settings)

    assert restored.changed and restored.commit == good and path.read_bytes() == original
    assert [(c.module_id, c.old_revision, c.new_revision) for c in result.plan.writes] == [("lab-safety-101", 2, 3)]
    assert scalar(migrated_engine, "SELECT title FROM modules WHERE module_id = 'lab-safety-101'") == "Lab Safety 101"
    assert (
        scalar(
            migrated_engine,
            "SELECT count(DISTINCT content_hash) FROM module_revisions WHERE module_id = 'lab-safety-101'",
        )
        == 2
    )
    assert not restore_module_file("lab-safety-101", good, settings).changed


def test_rollback_to_an_unknown_ref_or_missing_file_says_what_to_do(settings: Settings, repo: Path) -> None:
    with pytest.raises(ConfigError, match="not a commit, branch or tag"):
        restore_module_file("lab-safety-101", "no-such-tag", settings)
    with pytest.raises(ConfigError, match="does not exist at HEAD"):
        restore_module_file("never-existed", "HEAD", settings)


def test_db_deploy_status_commands_run_end_to_end(
    settings: Settings, migrated_engine: Engine, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MODULES_DIR", str(settings.modules_dir))

    assert main(["db", "upgrade"]) == 0
    assert main(["deploy", "--dry-run"]) == 0
    assert main(["deploy"]) == 0
    assert main(["deploy"]) == 0
    assert main(["status", "lab-safety-101"]) == 0

    out = capsys.readouterr().out
    assert f"is at migration {newest_migration()}" in out
    assert "deploy plan (dry run: nothing written): 3 added" in out
    assert "deploy plan: 0 added, 0 updated, 3 unchanged, 0 archived" in out
    assert "lab-safety-101" in out and "r1" in out and "live" in out and "5 sections" in out
    assert "1 live, 0 archived" in out


def test_deploy_command_lists_problems_and_exits_1_when_a_file_is_invalid(
    settings: Settings, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    broken = settings.modules_dir / "broken.json"
    shutil.copy(settings.modules_dir / "lab-safety-101.json", broken)

    assert main(["deploy", str(settings.modules_dir)]) == 1

    captured = capsys.readouterr()
    assert "broken.json" in captured.out and "nothing was deployed" in captured.err


def test_status_of_an_unknown_module_is_a_usage_error(settings: Settings, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)

    assert main(["status", "nope"]) == 2
    assert "never been deployed" in capsys.readouterr().err


def test_an_unwritable_step_summary_does_not_turn_a_committed_deploy_into_a_traceback(
    settings: Settings, migrated_engine: Engine, tmp_path: Path, monkeypatch, capsys, caplog
) -> None:
    # given GITHUB_STEP_SUMMARY names a folder (no file can be appended to it)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MODULES_DIR", str(settings.modules_dir))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))

    status = main(["deploy"])

    captured = capsys.readouterr()
    assert status == 0
    assert "deploy plan: 3 added" in captured.out
    assert "GITHUB_STEP_SUMMARY" in caplog.text and "the deploy itself succeeded" in caplog.text
    assert scalar(migrated_engine, "SELECT count(*) FROM modules") == 3
