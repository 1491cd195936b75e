"""The mass-archive guard cannot be stepped around in halves; the job summary stays small, the full plan is a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from pipeline.deploy.apply import deploy
from pipeline.deploy.plan import LISTED_IN_SUMMARY, MASS_ARCHIVE_WINDOW_HOURS, SUMMARY_MAX_CHARS, plan_deploy
from pipeline.errors import DeployRefused
from pipeline.settings import Settings
from tests.module_builders import sample_module, write_json
from tests.sql import execute, scalar, snapshot


def catalogue_of_ten(settings: Settings) -> list[str]:
    """The three samples and seven more modules, deployed; returns the seven extra ids."""
    extra = [f"extra-module-{n}" for n in range(7)]
    for module_id in extra:
        write_json(settings.modules_dir / f"{module_id}.json", sample_module(module_id=module_id, prerequisites=[]))
    deploy(None, settings)
    return extra


def remove(settings: Settings, module_ids: list[str]) -> None:
    for module_id in module_ids:
        (settings.modules_dir / f"{module_id}.json").unlink()


def test_two_deploys_of_just_under_half_each_are_one_mass_archive(settings: Settings, migrated_engine: Engine) -> None:
    extra = catalogue_of_ten(settings)
    remove(settings, extra[:4])
    assert deploy(None, settings).plan.counts["archived"] == 4  # 4 of 10: fine
    remove(settings, extra[4:7])  # 3 of the 6 left: not more than half of them, but 7 of the 10 of this morning
    before = snapshot(migrated_engine)

    with pytest.raises(DeployRefused) as refused:
        deploy(None, settings)

    message = str(refused.value)
    assert "would archive 3 of the 6 live modules" in message
    assert f"with the 4 archived in the last {MASS_ARCHIVE_WINDOW_HOURS} hours that is 7 of the 10" in message
    assert "--allow-mass-archive" in message
    assert snapshot(migrated_engine) == before
    assert deploy(None, settings, allow_mass_archive=True).plan.counts["archived"] == 3


def test_archives_older_than_the_window_no_longer_count(settings: Settings, migrated_engine: Engine) -> None:
    extra = catalogue_of_ten(settings)
    remove(settings, extra[:4])
    deploy(None, settings)
    execute(
        migrated_engine,
        "UPDATE modules SET archived_at = now() - make_interval(hours => :h + 1) WHERE archived_at IS NOT NULL",
        h=MASS_ARCHIVE_WINDOW_HOURS,
    )
    remove(settings, extra[4:7])

    assert deploy(None, settings).plan.counts["archived"] == 3
    assert scalar(migrated_engine, "SELECT count(*) FROM modules WHERE archived_at IS NULL") == 3


def test_a_deploy_that_archives_nothing_is_never_a_mass_archive(settings: Settings, migrated_engine: Engine) -> None:
    extra = catalogue_of_ten(settings)
    remove(settings, extra)
    deploy(None, settings, allow_mass_archive=True)  # 7 of 10 gone, on purpose

    assert deploy(None, settings).plan.counts == {"unchanged": 3}


def test_the_full_plan_is_written_to_the_plan_file_even_when_refused(settings: Settings, tmp_path: Path) -> None:
    extra = catalogue_of_ten(settings)
    remove(settings, extra)
    plan_file = tmp_path / "deploy-plan.txt"

    with pytest.raises(DeployRefused):
        deploy(None, settings, plan_file=plan_file)

    lines = plan_file.read_text().splitlines()
    assert sum(line.strip().startswith("archived") for line in lines) == 7
    assert sum(line.strip().startswith("unchanged") for line in lines) == 3
    assert lines[-1].startswith("refused: this deploy would archive 7")


def test_the_summary_of_a_huge_deploy_stays_small_and_points_at_the_full_plan() -> None:
    documents = {f"module-{n:05d}": {"status": "ready"} for n in range(3_000)}
    plan = plan_deploy(documents, {}, archive_missing=True, hashes=dict.fromkeys(documents, "sha256:x"))

    markdown = plan.render_markdown(source_commit="c0ffee" * 7)
    full = plan.render_full()

    assert len(markdown.encode()) < 64 * 1024
    assert markdown.count("| added |") == LISTED_IN_SUMMARY
    assert (
        f"{3_000 - LISTED_IN_SUMMARY} more module(s) listed in the full plan (the `deploy-plan` artifact)" in markdown
    )
    assert all(f"module-{n:05d}" in full for n in range(3_000))


def test_the_summary_is_cut_whatever_its_notes_hold() -> None:
    from pipeline.deploy.plan import CurrentModule

    current = {
        f"module-{n:03d}": CurrentModule(f"module-{n:03d}", 1, "sha256:x", False, drift=("x" * 5_000,))
        for n in range(LISTED_IN_SUMMARY)
    }
    plan = plan_deploy({m: {"status": "ready"} for m in current}, current, archive_missing=False)

    assert len(plan.render_markdown()) <= SUMMARY_MAX_CHARS + 200
