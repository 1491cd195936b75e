"""gc never deletes what is referenced and waits out the grace period; migrate moves data/assets/ once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.deploy.apply import deploy
from pipeline.errors import ConfigError
from pipeline.media.gc import collect_garbage, plan_sweep
from pipeline.media.ingest import MediaSource, store_sources
from pipeline.media.local import LocalStore
from pipeline.media.store import StoredObject
from pipeline.module.document import load_module
from pipeline.propose.migration import migrate_media
from pipeline.settings import Settings
from pipeline.validate.rules import validate_paths
from tests.notion.pages import _png

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def test_the_sweep_keeps_referenced_and_young_objects_and_takes_the_record_first() -> None:
    kept, young, old = "aa" * 32, "bb" * 32, "cc" * 32

    def obj(digest: str, name: str, days: int) -> StoredObject:
        key = f"sha256/{digest[:2]}/{digest[2:4]}/{digest}{name}"
        return StoredObject(key, 10, NOW - timedelta(days=days))

    stored = [obj(kept, ".png", 90), obj(young, ".png", 5), obj(old, ".png", 40), obj(old, "/v1/record.json", 40)]

    unreferenced, expired = plan_sweep(stored, {kept}, {}, timedelta(days=30), NOW)

    assert {o.key for o in unreferenced} == {o.key for o in stored[1:]}
    assert [o.key.rsplit("/", 1)[-1] for o in expired] == ["record.json", f"{old}.png"]


def test_gc_dry_run_lists_only_the_unreferenced_and_apply_needs_the_open_prs(
    settings: Settings, migrated_engine
) -> None:
    # given the demos deployed (their pictures stored and referenced) and one upload nobody refers to
    deploy(None, settings)
    store = LocalStore(settings.media_dir)
    orphan = MediaSource.of_bytes(_png(40, 30), "image/png", "orphan.png")
    store_sources(store, [orphan])
    mains = [load_module(p).data for p in settings.modules_dir.glob("*.json")]
    before = {o.key for o in store.list()}

    # when gc runs as a dry run (past the grace period for the orphan's files)
    sweep = collect_garbage(
        store, migrated_engine, mains, [], grace_days=30, now=datetime.now(UTC) + timedelta(days=31)
    )

    # then it lists exactly the orphan's objects and deletes nothing
    assert {o.key for o in sweep.expired} == {k for k in before if orphan.sha256 in k}
    assert {o.key for o in store.list()} == before
    assert "would delete (dry run" in "\n".join(sweep.lines())
    # and --apply refuses to run blind to open PRs
    with pytest.raises(ConfigError, match="open PR"):
        collect_garbage(store, migrated_engine, mains, None, apply=True)


def test_gc_apply_deletes_after_the_grace_period_and_keeps_what_a_pr_refers_to(
    settings: Settings, migrated_engine
) -> None:
    deploy(None, settings)
    store = LocalStore(settings.media_dir)
    on_a_pr = MediaSource.of_bytes(_png(50, 30), "image/png", "pr.png")
    orphan = MediaSource.of_bytes(_png(60, 30), "image/png", "orphan.png")
    store_sources(store, [on_a_pr, orphan])
    pr_module = {"sections": [{"media_url": f"/media/{on_a_pr.key}", "content": ""}]}
    later = datetime.now(UTC) + timedelta(days=31)

    collect_garbage(store, migrated_engine, [], [pr_module], apply=True, now=later)

    assert store.get(orphan.key) is None
    assert store.get(on_a_pr.key) is not None
    # the demos' pictures live on in the recorded revisions, though main's files were not given
    assert len([k for k in (o.key for o in store.list()) if k.endswith("/record.json")]) == 4


def test_migrate_moves_assets_into_the_store_rewrites_references_and_is_idempotent(
    module_tree: Path, tmp_path: Path
) -> None:
    settings = Settings(modules_dir=module_tree, media_dir=tmp_path / "media")
    assets = settings.resolved_assets_dir

    first = migrate_media(settings, open_pr=False)

    assert first.ok and len(first.moved.rewritten) == 3
    assert not [p for p in assets.rglob("*") if p.is_file()]
    module = json.loads((module_tree / "lab-safety-101.json").read_text())
    section = next(s for s in module["sections"] if (s.get("media_url") or "").startswith("/media/"))
    assert section["media"]["type"] == "image/png" and section["media"]["width"] > 0
    assert validate_paths([module_tree], settings).ok
    before = {p.name: p.read_bytes() for p in module_tree.glob("*.json")}

    second = migrate_media(settings, open_pr=False)

    assert second.moved.rewritten == () and second.moved.removed == ()
    assert {p.name: p.read_bytes() for p in module_tree.glob("*.json")} == before


def test_the_migration_is_one_reviewed_pr(module_tree: Path, tmp_path: Path, github_fake) -> None:
    github_fake.seed(module_tree.parent)
    settings = github_fake.settings(modules_dir=module_tree, media_dir=tmp_path / "media")
    assert github_fake.read_file("data/assets/lab-safety-101/floor-plan.png", "main") is not None

    report = migrate_media(settings)

    [pr] = github_fake.pulls("open")
    assert report.pr_url == pr["html_url"] and pr["head"]["ref"] == "media/migrate-assets"
    assert github_fake.read_file("data/assets/lab-safety-101/floor-plan.png", "media/migrate-assets") is None
    moved = json.loads(github_fake.read_file("data/modules/lab-safety-101.json", "media/migrate-assets") or b"{}")
    assert "/assets/" not in json.dumps(moved)


def test_the_gc_command_is_a_dry_run_by_default(settings: Settings, migrated_engine, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url or "")
    monkeypatch.setenv("MODULES_DIR", str(settings.modules_dir))
    monkeypatch.setenv("MEDIA_DIR", str(settings.media_dir))

    assert main(["media", "gc"]) == 0

    assert "dry run" in capsys.readouterr().out
