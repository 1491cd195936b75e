"""Learner impact: what merging a module change does to the students who already took it, read without writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from pipeline.cli import main
from pipeline.deploy.apply import deploy
from pipeline.review.impact import assess_impact, read_only_transaction
from pipeline.settings import Settings
from tests.module_builders import export_edit
from tests.sql import execute, scalar, snapshot

FIRST_PR_SECTIONS = ("why-pull-requests", "review-flow", "make-a-branch", "open-the-pr", "pr-quiz")


def started_state(engine: Engine) -> str:
    """The schema's word for "started": `started` once migration 0003 renamed it, `in_progress` before."""
    check = scalar(
        engine,
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'module_progress'::regclass "
        "AND conname LIKE '%state_known%'",
    )
    return "started" if "'started'" in str(check) else "in_progress"


def progress(engine: Engine, module_id: str, section_id: str, students: list[str], state: str) -> None:
    for student in students:
        execute(
            engine,
            "INSERT INTO module_progress (student_id, module_id, section_id, state) VALUES (:s, :m, :sec, :state)",
            s=student,
            m=module_id,
            sec=section_id,
            state=state,
        )


def assign(engine: Engine, module_id: str, students: list[str]) -> None:
    for student in students:
        execute(
            engine, "INSERT INTO module_assignments (module_id, student_id) VALUES (:m, :s)", m=module_id, s=student
        )


@pytest.fixture
def learners(settings: Settings, migrated_engine: Engine) -> Engine:
    """The samples live, with learners on lab-safety-101 and first-pull-request."""
    deploy(None, settings)
    started = started_state(migrated_engine)
    lab = "lab-safety-101"
    progress(migrated_engine, lab, "ppe-requirements", ["s1", "s2", "s3"], "completed")
    progress(migrated_engine, lab, "ppe-requirements", ["s4", "s5"], started)
    progress(migrated_engine, lab, "safety-check", ["s1", "s2", "s3", "s4"], "completed")
    progress(migrated_engine, lab, "safety-check", ["s5"], started)
    progress(migrated_engine, lab, "welcome", ["s1", "s2", "s3", "s4", "s5", "s6"], "completed")
    first = "first-pull-request"
    for section in FIRST_PR_SECTIONS:  # f1 finished the module
        progress(migrated_engine, first, section, ["f1"], "completed")
    progress(migrated_engine, first, "why-pull-requests", ["f2"], started)
    progress(migrated_engine, first, "why-pull-requests", ["f3"], "completed")
    assign(migrated_engine, first, ["f1", "f2", "f9"])  # f1 is done: not an open assignment
    return migrated_engine


def change_the_modules(modules_dir: Path) -> None:
    """Remove "PPE Requirements", reword a quiz question, retitle "Welcome", delete first-pull-request."""

    def edit(data: dict) -> None:
        data["sections"] = [s for s in data["sections"] if s["section_id"] != "ppe-requirements"]
        for number, section in enumerate(data["sections"], 1):
            section["section_number"] = number
            if section["section_id"] == "safety-check":
                section["content"]["questions"][0]["prompt"] = "Chemicals in your eye: what comes first?"
            if section["section_id"] == "welcome":
                section["title"] = "Welcome!"  # a new title and place only: nobody has to read it again

    export_edit(modules_dir, "lab-safety-101", edit)
    (modules_dir / "first-pull-request.json").unlink()


def test_impact_counts_learners_of_removed_changed_and_archived_content(settings: Settings, learners: Engine) -> None:
    change_the_modules(settings.modules_dir)

    report = assess_impact(None, settings)

    assert report.to_json() == {
        "modules": [
            {
                "module_id": "lab-safety-101",
                "action": "updated",
                "sections_removed": [{"section_id": "ppe-requirements", "started": 2, "completed": 3}],
                "sections_changed": [{"section_id": "safety-check", "completed": 4}],
                "in_progress": 0,
                "assignments": 0,
            },
            {
                "module_id": "first-pull-request",
                "action": "archived",
                "sections_removed": [],
                "sections_changed": [],
                "in_progress": 2,
                "assignments": 2,
            },
        ]
    }
    assert report.needs_second_review


def test_impact_writes_nothing(settings: Settings, learners: Engine) -> None:
    change_the_modules(settings.modules_dir)
    before = snapshot(learners)

    assess_impact(None, settings)

    assert snapshot(learners) == before


def test_a_write_inside_the_impact_transaction_is_refused_by_postgresql(learners: Engine) -> None:
    with read_only_transaction(learners) as conn, pytest.raises(DBAPIError, match="read-only transaction"):
        conn.execute(text("DELETE FROM module_progress"))

    assert scalar(learners, "SELECT count(*) FROM module_progress") == 23


def test_unchanged_files_affect_nobody(settings: Settings, learners: Engine) -> None:
    report = assess_impact(None, settings)

    assert report.modules == ()
    assert not report.needs_second_review
    assert report.lines()[-1] == "impact: no learner is affected"


def test_retiring_a_module_counts_its_learners_like_archiving(settings: Settings, learners: Engine) -> None:
    export_edit(settings.modules_dir, "first-pull-request", lambda data: data.update(status="retired"))

    (module,) = assess_impact(None, settings).modules

    assert (module.module_id, module.action, module.in_progress, module.assignments) == (
        "first-pull-request",
        "updated",
        2,
        2,
    )


def test_cli_prints_the_impact_as_json_from_the_readonly_url(
    settings: Settings, learners: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    change_the_modules(settings.modules_dir)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_READONLY_URL", database_url)
    monkeypatch.setenv("MODULES_DIR", str(settings.modules_dir))

    code = main(["deploy", "--dry-run", "--impact", "--format", "json"])

    out = capsys.readouterr()
    assert code == 0, out.err
    assert [m["module_id"] for m in json.loads(out.out)["modules"]] == ["lab-safety-101", "first-pull-request"]
    assert "ppe-requirements" in out.out


@pytest.mark.parametrize(
    ("argv", "needs"),
    [(["deploy", "--impact"], "--dry-run --impact"), (["deploy", "--dry-run", "--format", "json"], "--impact")],
)
def test_cli_refuses_impact_flags_without_their_partner(argv: list[str], needs: str, capsys) -> None:
    assert main(argv) == 2
    assert needs in capsys.readouterr().err
