"""The notion_writeback outbox: deploy fills it, the writeback stage drains it."""

from __future__ import annotations

from sqlalchemy import Engine

from pipeline.db.outbox import mark_writeback_done, pending_writebacks, record_writeback_failure
from pipeline.deploy.apply import deploy
from pipeline.settings import Settings
from tests.module_builders import edit_module
from tests.sql import scalar


def test_each_deployed_revision_is_a_pending_writeback(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    edit_module(settings.modules_dir / "equipment-tour.json", title="Equipment Tour, revised")
    deploy(None, settings)

    tasks = pending_writebacks(migrated_engine)

    assert [(t.module_id, t.revision) for t in tasks] == [
        ("equipment-tour", 1),
        ("first-pull-request", 1),
        ("lab-safety-101", 1),
        ("equipment-tour", 2),
    ]
    assert tasks[0].notion_page_id == "7c1d2e3f4a5b46c7d8e9f0a1b2c3d4e5"
    assert tasks[0].source_commit == settings.source_commit
    assert tasks[0].attempts == 0 and tasks[0].deployed_at.tzinfo is not None
    assert len(pending_writebacks(migrated_engine, limit=2)) == 2


def test_a_done_writeback_is_no_longer_pending(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    first = pending_writebacks(migrated_engine)[0]

    mark_writeback_done(migrated_engine, first.id)

    assert first.id not in [t.id for t in pending_writebacks(migrated_engine)]
    assert scalar(migrated_engine, "SELECT done_at IS NOT NULL FROM notion_writeback WHERE id = :i", i=first.id)


def test_a_failed_writeback_stays_pending_with_its_error(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    first = pending_writebacks(migrated_engine)[0]

    record_writeback_failure(migrated_engine, first.id, "Notion 502 bad gateway")
    record_writeback_failure(migrated_engine, first.id, "Notion 429 rate limited")

    again = next(t for t in pending_writebacks(migrated_engine) if t.id == first.id)
    assert again.attempts == 2
    assert (
        scalar(migrated_engine, "SELECT last_error FROM notion_writeback WHERE id = :i", i=first.id)
        == "Notion 429 rate limited"
    )


def test_writeback_retry_of_a_module_with_nothing_closed_says_so_and_exits_1(
    settings: Settings, migrated_engine: Engine, database_url: str, monkeypatch, capsys
) -> None:
    from pipeline.cli import main

    # given a deploy whose writebacks are all still pending (none closed because a page was gone)
    deploy(None, settings)
    monkeypatch.setenv("DATABASE_URL", database_url)

    # when the operator asks to retry one
    code = main(["writeback", "--retry", "lab-safety-101"])

    # then nothing changes and the command says why, without touching Notion (no token needed)
    assert code == 1
    assert "nothing to retry: lab-safety-101 has no writeback task closed" in capsys.readouterr().out
    assert scalar(migrated_engine, "SELECT count(*) FROM notion_writeback WHERE state = 'pending'") == 3
