"""Validate checks that every stored-media reference resolves with its type: with the store's credentials, or, in
a fork's PR (no secret), through the public CDN URL."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from pipeline.media.ingest import MediaSource, store_sources
from pipeline.media.keys import original_key
from pipeline.media.local import LocalStore
from pipeline.runtime.media_files import register_media_files
from pipeline.settings import Settings
from pipeline.validate.rules import validate_paths
from tests.notion.pages import PNG

FLOOR_PLAN = "/assets/lab-safety-101/floor-plan.png"


def _point_floor_plan_at(modules_dir: Path, url: str, reference: dict | None = None) -> Path:
    path = modules_dir / "lab-safety-101.json"
    module = json.loads(path.read_text())
    section = next(s for s in module["sections"] if s.get("media_url") == FLOOR_PLAN)
    section["media_url"] = url
    if reference is not None:
        section["media"] = reference
    path.write_text(json.dumps(module, indent=2) + "\n")
    return path


def _reference(data: bytes) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "type": "image/png", "bytes": len(data), "alt": "Floor plan"}


def test_a_stored_picture_in_the_local_store_validates(module_tree: Path, tmp_path: Path) -> None:
    settings = Settings(modules_dir=module_tree, media_dir=tmp_path / "media")
    source = MediaSource.of_bytes(PNG, "image/png", "floor-plan.png")
    store_sources(LocalStore(settings.media_dir), [source])
    _point_floor_plan_at(module_tree, f"/media/{source.key}", _reference(PNG))

    assert validate_paths([module_tree], settings).ok


def test_a_reference_nobody_stored_is_named_with_its_file_and_pointer(module_tree: Path, tmp_path: Path) -> None:
    settings = Settings(modules_dir=module_tree, media_dir=tmp_path / "media")
    key = original_key("ab" * 32, "image/png")
    _point_floor_plan_at(module_tree, f"/media/{key}")

    report = validate_paths([module_tree], settings)

    [problem] = [p for p in report.problems if "is not stored" in p.message]
    assert problem.path.endswith("lab-safety-101.json") and problem.pointer.endswith("/media_url")


def test_a_video_where_a_picture_belongs_and_a_wrong_reference_are_refused(module_tree: Path, tmp_path: Path) -> None:
    settings = Settings(modules_dir=module_tree, media_dir=tmp_path / "media")
    video = original_key("cd" * 32, "video/mp4")
    _point_floor_plan_at(module_tree, f"/media/{video}", _reference(PNG))

    messages = [p.message for p in validate_paths([module_tree], settings).problems]

    assert any("is a video/mp4 file, but this needs a image" in m for m in messages)
    assert any("do not match the media_url" in m for m in messages)


@pytest.fixture
def cdn(tmp_path: Path) -> Iterator[tuple[str, LocalStore]]:
    """A public CDN in front of the bucket: an HTTP server answering GET/HEAD {base}/{key} with the object."""
    origin = LocalStore(tmp_path / "cdn-origin")
    app = Flask("cdn")
    register_media_files(app, origin)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/media", origin
    server.shutdown()
    thread.join(timeout=10)


def test_a_fork_without_credentials_validates_through_the_public_cdn(
    module_tree: Path, cdn: tuple[str, LocalStore], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given a picture the export stored (the CDN serves it)
    base_url, origin = cdn
    source = MediaSource.of_bytes(PNG, "image/png", "floor-plan.png")
    store_sources(origin, [source])
    _point_floor_plan_at(module_tree, f"/media/{source.key}", _reference(PNG))
    missing = module_tree / "missing.json"
    missing.write_text(
        (module_tree / "lab-safety-101.json")
        .read_text()
        .replace(source.sha256, "ef" * 32)
        .replace('"lab-safety-101"', '"missing"')
    )
    # and a fork's PR run: the bucket's name and the CDN are public, the credentials are not there
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings = Settings(modules_dir=module_tree, media_bucket="frames-media", media_base_url=base_url)

    report = validate_paths([module_tree / "lab-safety-101.json", missing], settings)

    # then the stored picture resolves through the CDN, and the one nobody stored is named
    problems = [p for p in report.problems if "/media/" in p.message]
    assert [p.path.rsplit("/", 1)[-1] for p in problems] == ["missing.json"]
    assert "is not served by the CDN" in problems[0].message


@pytest.mark.parametrize(("megabytes", "severity"), [(11, "warning"), (51, "error")])
def test_a_big_file_added_by_hand_is_warned_over_10_mb_and_refused_over_50_mb(
    module_tree: Path, tmp_path: Path, megabytes: int, severity: str
) -> None:
    picture = module_tree.parent / "assets" / "lab-safety-101" / "floor-plan.png"
    with picture.open("r+b") as handle:
        handle.truncate(megabytes * 1024 * 1024)  # sparse: the size Git would see, without writing it

    report = validate_paths([module_tree], Settings(modules_dir=module_tree, media_dir=tmp_path / "media"))

    [problem] = [p for p in report.problems if " MB" in p.message]
    assert problem.severity == severity and problem.pointer.endswith("/media_url")
    assert ("at most 50 MB" in problem.message) == (severity == "error")
