"""Learners seeded into the real PostgreSQL for the impact tests, and the module change they are measured against."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from pipeline.deploy.apply import deploy
from pipeline.settings import Settings
from tests.module_builders import export_edit
from tests.sql import execute, scalar

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


def seed_learners(settings: Settings, migrated_engine: Engine) -> Engine:
    """Deploy the samples, then give lab-safety-101 and first-pull-request their learners."""
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
