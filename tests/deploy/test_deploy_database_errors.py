"""A database that refuses a module's rows gives a clear refusal naming the module, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pipeline.deploy.apply import deploy
from pipeline.errors import DeployRefused, ValidationFailed
from pipeline.settings import Settings
from tests.module_builders import edit_module
from tests.sql import execute, snapshot


def test_rows_the_database_refuses_roll_back_and_name_the_module(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    # A rule only the database knows (as a hand-added CHECK would be): apply_plan's raw cursor hits it.
    execute(migrated_engine, "ALTER TABLE module_sections ADD CONSTRAINT short_titles CHECK (length(title) < 40)")
    edit_module(settings.modules_dir / "equipment-tour.json", title="Equipment Tour, revised")
    data = json.loads((settings.modules_dir / "equipment-tour.json").read_text())
    data["sections"][0]["title"] = "A section title that is much longer than forty characters"
    (settings.modules_dir / "equipment-tour.json").write_text(json.dumps(data, indent=2))
    before = snapshot(migrated_engine)

    with pytest.raises(DeployRefused) as refused:
        deploy(None, settings)

    message = str(refused.value)
    assert "'equipment-tour'" in message and "equipment-tour.json" in message
    assert "short_titles" in message and "nothing changed" in message
    assert snapshot(migrated_engine) == before


@pytest.mark.parametrize(
    "literal",
    ['"estimated_minutes": 10.0', '"estimated_minutes": ' + "9" * 5000, '"title": "Lab\\u0000"', '"title": "\\ud800"'],
)
def test_files_the_database_could_not_store_are_refused_before_the_transaction(
    settings: Settings, migrated_engine: Engine, literal: str
) -> None:
    path: Path = settings.modules_dir / "lab-safety-101.json"
    key = literal.split(":")[0]
    lines = path.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip().startswith(key))  # the top-level field
    lines[first] = f"  {literal},"
    path.write_text("\n".join(lines) + "\n")
    before = snapshot(migrated_engine)

    with pytest.raises(ValidationFailed) as failed:
        deploy(None, settings)

    assert [p.pointer for p in failed.value.problems] == [f"/{key.strip(chr(34))}"]
    assert snapshot(migrated_engine) == before
