"""Deploy validates incrementally: unchanged bytes are trusted through the keys stored with live revisions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from pipeline.deploy.apply import deploy
from pipeline.errors import DatabaseError, ValidationFailed
from pipeline.settings import Settings
from pipeline.validate.trust import validation_key
from tests.module_builders import edit_module, sample_module, text_section, write_json
from tests.sql import execute, scalar, snapshot


def keys(engine: Engine) -> dict[str, str | None]:
    from sqlalchemy import text

    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT r.module_id, r.validation_key FROM modules m JOIN module_revisions r "
                    "ON r.module_id = m.module_id AND r.revision = m.revision"
                )
            ).all()
        )


def test_every_deployed_revision_records_the_key_of_its_file(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)

    assert keys(migrated_engine) == {
        path.stem: validation_key(path.read_bytes()) for path in settings.modules_dir.glob("*.json")
    }


def test_a_redeploy_trusts_the_unchanged_files(settings: Settings) -> None:
    first = deploy(None, settings)
    edit_module(settings.modules_dir / "lab-safety-101.json", title="Lab Safety, revised")

    second = deploy(None, settings)

    assert first.files_trusted == 0
    assert second.files_trusted == 2 and second.plan.summary() == "0 added, 1 updated, 2 unchanged, 0 archived"
    assert "2 file(s) unchanged since their last validation" in second.render_text()
    assert deploy(None, settings).files_trusted == 3


def test_a_trusted_file_whose_asset_was_deleted_deploys_nothing(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    before = snapshot(migrated_engine)
    (settings.resolved_assets_dir / "equipment-tour" / "bench.png").unlink()

    with pytest.raises(ValidationFailed) as caught:
        deploy(None, settings)

    assert any("bench.png' does not exist" in str(p) for p in caught.value.problems)
    assert snapshot(migrated_engine) == before


def test_markdown_images_are_recorded_and_still_checked_when_trusted(
    settings: Settings, migrated_engine: Engine
) -> None:
    data = sample_module("lab-map", prerequisites=["lab-safety-101"])
    data["sections"] = [text_section("map", 1, "![Plan](/assets/lab-safety-101/floor-plan.png)")]
    write_json(settings.modules_dir / "lab-map.json", data)
    deploy(None, settings)
    assert scalar(
        migrated_engine, "SELECT markdown_images::text FROM module_revisions WHERE module_id = 'lab-map'"
    ) == json.dumps({"/sections/0/content": ["/assets/lab-safety-101/floor-plan.png"]})
    (settings.resolved_assets_dir / "lab-safety-101" / "floor-plan.png").unlink()

    with pytest.raises(ValidationFailed) as caught:
        deploy(None, settings)

    pointers = {(Path(p.path).name, p.pointer) for p in caught.value.problems}
    assert ("lab-map.json", "/sections/0/content") in pointers


def test_a_key_without_its_markdown_images_is_not_trusted(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    execute(migrated_engine, "UPDATE module_revisions SET markdown_images = NULL WHERE module_id = 'lab-safety-101'")

    assert deploy(None, settings).files_trusted == 2


def test_keys_from_another_validator_are_replaced_so_the_next_deploy_is_fast_again(
    settings: Settings, migrated_engine: Engine
) -> None:
    deploy(None, settings)
    execute(migrated_engine, "UPDATE module_revisions SET validation_key = 'from-an-older-validator'")

    refreshed = deploy(None, settings)

    assert refreshed.files_trusted == 0 and refreshed.plan.summary() == "0 added, 0 updated, 3 unchanged, 0 archived"
    assert "from-an-older-validator" not in keys(migrated_engine).values()
    assert scalar(migrated_engine, "SELECT max(revision) FROM module_revisions") == 1
    assert deploy(None, settings).files_trusted == 3


def test_a_metadata_only_edit_deploys_nothing_but_records_the_new_bytes(
    settings: Settings, migrated_engine: Engine
) -> None:
    deploy(None, settings)
    path = settings.modules_dir / "first-pull-request.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["metadata"]["exported_at"] = "2030-01-01T00:00:00Z"
    write_json(path, data)

    assert deploy(None, settings).plan.summary() == "0 added, 0 updated, 3 unchanged, 0 archived"
    assert keys(migrated_engine)["first-pull-request"] == validation_key(path.read_bytes())
    assert deploy(None, settings).files_trusted == 3


def test_a_dry_run_records_no_keys(settings: Settings, migrated_engine: Engine) -> None:
    deploy(None, settings)
    execute(migrated_engine, "UPDATE module_revisions SET validation_key = NULL")

    deploy(None, settings, dry_run=True)

    assert set(keys(migrated_engine).values()) == {None}


def test_a_broken_file_is_reported_even_when_the_database_is_unreachable(settings: Settings) -> None:
    edit_module(settings.modules_dir / "lab-safety-101.json", estimated_minutes="ten")
    missing = make_url(settings.database_url).set(database="no_such_database").render_as_string(hide_password=False)
    elsewhere = dataclasses.replace(settings, database_url=missing)

    with pytest.raises(ValidationFailed):
        deploy(None, elsewhere)
    edit_module(settings.modules_dir / "lab-safety-101.json", estimated_minutes=10)
    with pytest.raises(DatabaseError, match="cannot connect"):
        deploy(None, elsewhere)
