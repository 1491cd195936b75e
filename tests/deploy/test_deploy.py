"""Deploy: module files become live rows, exactly as reviewed, without ever losing student data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pipeline.deploy.apply import deploy
from pipeline.errors import DeployRefused, ValidationFailed
from pipeline.settings import Settings
from tests.module_builders import edit_module, sample_module, text_section, write_json
from tests.sql import execute, scalar, snapshot

SAMPLES = ("equipment-tour", "first-pull-request", "lab-safety-101")


def add_progress(engine: Engine, module_id: str, section_id: str, student: str = "student-1") -> None:
    execute(
        engine,
        "INSERT INTO module_progress (student_id, module_id, section_id, state) VALUES (:s, :m, :sec, 'completed')",
        s=student,
        m=module_id,
        sec=section_id,
    )


def test_first_deploy_creates_everything_at_revision_1(settings: Settings, migrated_engine: Engine) -> None:
    result = deploy(None, settings)

    assert [(c.module_id, c.action, c.new_revision) for c in result.plan.changes] == [(m, "added", 1) for m in SAMPLES]
    assert scalar(migrated_engine, "SELECT count(*) FROM modules WHERE revision = 1 AND archived_at IS NULL") == 3
    assert scalar(migrated_engine, "SELECT count(*) FROM module_sections") == 15
    assert (
        scalar(
            migrated_engine, "SELECT count(*) FROM module_revisions WHERE source_commit = :c", c=settings.source_commit
        )
        == 3
    )
    assert scalar(migrated_engine, "SELECT count(*) FROM notion_writeback WHERE state = 'pending'") == 3
    assert (
        scalar(migrated_engine, "SELECT notion_page_id FROM modules WHERE module_id = 'equipment-tour'")
        == "7c1d2e3f4a5b46c7d8e9f0a1b2c3d4e5"
    )


def test_identical_redeploy_changes_nothing(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    before = snapshot(migrated_engine)

    result = deploy(None, settings)

    assert result.plan.counts == {"unchanged": 3}
    assert snapshot(migrated_engine) == before


def test_editing_one_section_bumps_only_that_module_and_keeps_progress(
    settings: Settings, migrated_engine: Engine
) -> None:
    deploy(None, settings)
    path = settings.modules_dir / "lab-safety-101.json"
    data = json.loads(path.read_text())
    first, second = data["sections"][0]["section_id"], data["sections"][1]["section_id"]
    add_progress(migrated_engine, "lab-safety-101", first)
    add_progress(migrated_engine, "lab-safety-101", second)
    data["sections"][1]["title"] = "A better title"
    write_json(path, data)

    result = deploy(None, settings)

    assert [(c.module_id, c.old_revision, c.new_revision) for c in result.plan.writes] == [("lab-safety-101", 1, 2)]
    assert (
        scalar(migrated_engine, "SELECT title FROM module_sections WHERE section_id = :s", s=second) == "A better title"
    )
    assert (
        scalar(
            migrated_engine,
            "SELECT count(*) FROM module_sections WHERE module_id = 'lab-safety-101' "
            "AND updated_at = (SELECT min(updated_at) FROM module_sections)",
        )
        == 4
    )
    assert scalar(migrated_engine, "SELECT count(*) FROM module_progress") == 2
    assert (
        scalar(migrated_engine, "SELECT max(revision) FROM module_revisions WHERE module_id <> 'lab-safety-101'") == 1
    )


def test_reordering_and_removing_sections_keeps_ids_and_progress(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    path = settings.modules_dir / "lab-safety-101.json"
    data = json.loads(path.read_text())
    removed = data["sections"][-1]["section_id"]
    add_progress(migrated_engine, "lab-safety-101", removed)
    sections = list(reversed(data["sections"][:-1]))
    for number, section in enumerate(sections, 1):
        section["section_number"] = number
    data["sections"] = sections
    write_json(path, data)

    deploy(None, settings)

    assert scalar(
        migrated_engine,
        "SELECT string_agg(section_id, ',' ORDER BY section_number) FROM module_sections "
        "WHERE module_id = 'lab-safety-101'",
    ) == ",".join(s["section_id"] for s in sections)
    assert scalar(migrated_engine, "SELECT count(*) FROM module_progress WHERE section_id = :s", s=removed) == 1


def test_removing_a_file_archives_the_module_and_keeps_its_progress(
    settings: Settings, migrated_engine: Engine
) -> None:
    for index in range(3):
        write_json(settings.modules_dir / f"extra-{index}.json", sample_module(f"extra-{index}"))
    deploy(None, settings)
    add_progress(migrated_engine, "extra-0", "welcome")
    (settings.modules_dir / "extra-0.json").unlink()

    result = deploy(None, settings)

    assert [(c.module_id, c.action) for c in result.plan.of("archived")] == [("extra-0", "archived")]
    assert scalar(migrated_engine, "SELECT archived_at IS NOT NULL FROM modules WHERE module_id = 'extra-0'")
    assert scalar(migrated_engine, "SELECT count(*) FROM module_sections WHERE module_id = 'extra-0'") > 0
    assert scalar(migrated_engine, "SELECT count(*) FROM module_progress WHERE module_id = 'extra-0'") == 1


def test_a_file_that_comes_back_is_unarchived_with_a_new_revision(settings: Settings, migrated_engine: Engine) -> None:
    write_json(settings.modules_dir / "extra.json", sample_module("extra"))
    deploy(None, settings)
    saved = (settings.modules_dir / "extra.json").read_bytes()
    (settings.modules_dir / "extra.json").unlink()
    deploy(None, settings)
    (settings.modules_dir / "extra.json").write_bytes(saved)

    result = deploy(None, settings)

    assert [(c.module_id, c.new_revision) for c in result.plan.writes] == [("extra", 2)]
    assert scalar(migrated_engine, "SELECT archived_at FROM modules WHERE module_id = 'extra'") is None


def test_a_retired_module_is_archived_with_its_progress(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    add_progress(migrated_engine, "first-pull-request", "welcome")
    edit_module(settings.modules_dir / "first-pull-request.json", status="retired")

    deploy(None, settings)

    assert scalar(
        migrated_engine,
        "SELECT archived_at IS NOT NULL AND status = 'retired' AND revision = 2 "
        "FROM modules WHERE module_id = 'first-pull-request'",
    )
    assert scalar(migrated_engine, "SELECT count(*) FROM module_progress") == 1


def test_one_invalid_file_among_many_deploys_nothing(settings: Settings, migrated_engine: Engine) -> None:
    for index in range(5):
        write_json(settings.modules_dir / f"extra-{index}.json", sample_module(f"extra-{index}"))
    edit_module(settings.modules_dir / "extra-3.json", estimated_minutes="ten")

    with pytest.raises(ValidationFailed) as caught:
        deploy(None, settings)

    assert "extra-3.json" in str(caught.value.problems[0])
    assert scalar(migrated_engine, "SELECT count(*) FROM modules") == 0


def test_dry_run_writes_nothing(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    edit_module(settings.modules_dir / "lab-safety-101.json", title="Lab Safety, revised")
    before = snapshot(migrated_engine)

    result = deploy(None, settings, dry_run=True)

    assert [c.module_id for c in result.plan.writes] == ["lab-safety-101"]
    assert "dry run" in result.render_text()
    assert snapshot(migrated_engine) == before


def test_deploying_single_files_never_archives_the_others(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)

    result = deploy([settings.modules_dir / "lab-safety-101.json"], settings)

    assert result.plan.counts == {"unchanged": 1}
    assert scalar(migrated_engine, "SELECT count(*) FROM modules WHERE archived_at IS NULL") == 3


def test_archiving_more_than_half_needs_the_flag(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    for name in ("equipment-tour", "first-pull-request"):
        (settings.modules_dir / f"{name}.json").unlink()
    before = snapshot(migrated_engine)

    with pytest.raises(DeployRefused, match="--allow-mass-archive") as refused:
        deploy(None, settings)
    assert snapshot(migrated_engine) == before
    assert "would archive 2 of the 3 live modules" in str(refused.value)

    result = deploy(None, settings, allow_mass_archive=True)
    assert result.plan.counts == {"unchanged": 1, "archived": 2}


def test_a_module_edited_in_the_database_is_refused_until_forced(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    execute(
        migrated_engine,
        "UPDATE module_sections SET title = 'Hot fix' WHERE module_id = 'lab-safety-101' AND section_number = 2",
    )
    edit_module(settings.modules_dir / "lab-safety-101.json", title="Lab Safety, revised")
    edit_module(settings.modules_dir / "equipment-tour.json", title="Equipment Tour, revised")

    result = deploy(None, settings)

    refused = result.plan.of("refused")
    assert [c.module_id for c in refused] == ["lab-safety-101"]
    assert "title changed" in refused[0].note and "--force" in refused[0].note
    assert result.refused_modules == ["lab-safety-101"]
    assert [c.module_id for c in result.plan.writes] == ["equipment-tour"]
    assert scalar(migrated_engine, "SELECT title FROM modules WHERE module_id = 'lab-safety-101'") == "Lab Safety 101"

    forced = deploy(None, settings, force=True)

    assert [(c.module_id, c.new_revision) for c in forced.plan.writes] == [("lab-safety-101", 2)]
    assert scalar(migrated_engine, "SELECT count(*) FROM module_sections WHERE title = 'Hot fix'") == 0
    assert deploy(None, settings).plan.counts == {"unchanged": 3}


def test_a_module_row_edited_by_hand_names_the_column(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    execute(migrated_engine, "UPDATE modules SET estimated_minutes = 99 WHERE module_id = 'equipment-tour'")

    result = deploy(None, settings)

    assert "modules.estimated_minutes is 99" in result.plan.of("refused")[0].note


def test_the_plan_goes_to_the_job_summary(settings: Settings, tmp_path: Path, monkeypatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    deploy(None, settings)

    text = summary.read_text()
    assert "**3 added, 0 updated, 0 unchanged, 0 archived**" in text
    assert "| added | `lab-safety-101` | — → r1 |" in text


def test_each_new_revision_keeps_the_document_and_an_outbox_row(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    path = settings.modules_dir / "lab-safety-101.json"
    data = edit_module(path, sections=[*json.loads(path.read_text())["sections"], text_section("extra", 6)])

    deploy(None, settings)

    assert (
        scalar(
            migrated_engine,
            "SELECT document -> 'sections' -> 5 ->> 'section_id' FROM module_revisions "
            "WHERE module_id = 'lab-safety-101' AND revision = 2",
        )
        == "extra"
    )
    assert scalar(migrated_engine, "SELECT count(*) FROM notion_writeback WHERE module_id = 'lab-safety-101'") == 2
    assert len(data["sections"]) == 6


def test_the_drift_explanation_reads_rows_as_deploy_writes_them(settings: Settings, migrated_engine: Engine) -> None:
    # Deploy derives rows in SQL, the explanation in Python: on untouched rows they must agree (no false alarm).
    from pipeline.deploy.apply import explain_drift

    deploy(None, settings)

    with migrated_engine.connect() as conn:
        found = explain_drift(conn, SAMPLES)

    assert found == {m: ("the rows no longer match the deployed revision",) for m in SAMPLES}


def test_deploy_into_an_unmigrated_database_says_to_upgrade(
    empty_database: Engine, database_url: str, module_tree: Path
) -> None:
    from pipeline.errors import DatabaseError

    with pytest.raises(DatabaseError, match="db upgrade` first"):
        deploy(None, Settings(database_url=database_url, modules_dir=module_tree))


def test_the_deployed_commit_comes_from_github_sha(
    migrated_engine: Engine, database_url: str, module_tree: Path, monkeypatch
) -> None:
    monkeypatch.setenv("GITHUB_SHA", "1234567890abcdef1234567890abcdef12345678")
    settings = Settings.from_env().with_overrides(database_url=database_url, modules_dir=module_tree)

    result = deploy(None, settings)

    assert result.source_commit == "1234567890abcdef1234567890abcdef12345678"
    assert scalar(migrated_engine, "SELECT count(DISTINCT source_commit) FROM modules") == 1
