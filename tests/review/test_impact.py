"""Learner impact: what merging a module change does to the students who already took it, read without writing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from pipeline.cli import main
from pipeline.review.impact import assess_impact, read_only_transaction
from pipeline.settings import Settings
from tests.module_builders import export_edit
from tests.review.learners import change_the_modules
from tests.sql import scalar, snapshot


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
