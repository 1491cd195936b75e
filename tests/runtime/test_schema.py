"""Migration 0003: section content hashes filled for sections deployed before it, 'in_progress' becomes 'started'."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import Engine, text

from pipeline.db.engine import alembic_config, upgrade
from pipeline.deploy.apply import deploy
from pipeline.deploy.plan import section_content_hash
from pipeline.settings import Settings
from tests.paths import SAMPLE_MODULES
from tests.sql import execute, newest_migration, scalar


def _downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def test_deploy_writes_each_sections_content_hash(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    sample = json.loads((SAMPLE_MODULES / "lab-safety-101.json").read_text(encoding="utf-8"))
    with migrated_engine.connect() as conn:
        stored = dict(
            conn.execute(
                text("SELECT section_id, content_hash FROM module_sections WHERE module_id = 'lab-safety-101'")
            ).all()
        )
    assert stored == {s["section_id"]: section_content_hash(s) for s in sample["sections"]}


def test_upgrading_from_0002_fills_hashes_and_renames_in_progress(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    with migrated_engine.connect() as conn:
        expected = conn.execute(text("SELECT module_id, section_id, content_hash FROM module_sections")).all()
    _downgrade(migrated_engine, "0002")
    execute(
        migrated_engine,
        "INSERT INTO module_progress (student_id, module_id, section_id, state) "
        "VALUES ('alice', 'lab-safety-101', 'welcome', 'in_progress')",
    )

    assert upgrade(migrated_engine) == newest_migration()

    with migrated_engine.connect() as conn:
        after = conn.execute(text("SELECT module_id, section_id, content_hash FROM module_sections")).all()
    assert sorted(after) == sorted(expected)
    assert scalar(migrated_engine, "SELECT state FROM module_progress WHERE student_id = 'alice'") == "started"


def test_a_retitle_or_reorder_keeps_a_sections_hash_and_a_content_edit_changes_it() -> None:
    section = {"section_id": "a", "section_number": 1, "section_type": "text", "title": "A", "content": "Hello"}

    assert section_content_hash({**section, "title": "B", "section_number": 4}) == section_content_hash(section)
    assert section_content_hash({**section, "content": "Hello!"}) != section_content_hash(section)
