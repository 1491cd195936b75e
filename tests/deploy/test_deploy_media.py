"""Deploy stores what live modules refer to, before it commits: files added by hand, through the S3 protocol."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import boto3
import pytest

from pipeline.deploy.apply import deploy
from pipeline.errors import ValidationFailed
from pipeline.media.keys import original_key
from pipeline.media.store import MediaStoreError
from pipeline.settings import Settings
from tests.sql import scalar

FLOOR_PLAN = "/assets/lab-safety-101/floor-plan.png"


@pytest.fixture
def s3_settings(settings: Settings, s3_server: str, s3_bucket: str) -> Settings:
    return settings.with_overrides(
        media_bucket=s3_bucket, media_endpoint_url=s3_server, media_base_url="https://cdn.example.org"
    )


def _keys(s3_server: str, bucket: str) -> set[str]:
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    return {o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_a_file_added_by_hand_is_stored_with_its_variants_and_a_second_deploy_puts_nothing(
    s3_settings: Settings, s3_server: str, migrated_engine
) -> None:
    # given the demo modules, whose floor plan is a file under data/assets/ (added by hand in a PR)
    floor_plan = (s3_settings.resolved_assets_dir / "lab-safety-101" / "floor-plan.png").read_bytes()
    key = original_key(hashlib.sha256(floor_plan).hexdigest(), "image/png")

    # when they are deployed
    first = deploy(None, s3_settings)

    # then the bucket holds the original, its variants and its record, and the manifest says so
    stored = _keys(s3_server, s3_settings.media_bucket or "")
    assert key in stored
    assert any(k.endswith("/w320.avif") for k in stored) and any(k.endswith("/record.json") for k in stored)
    assert first.media_written == len(stored)
    assert scalar(migrated_engine, "SELECT count(*) FROM media_objects") == 3  # one picture per demo module
    assert scalar(migrated_engine, "SELECT media_key FROM media_aliases WHERE asset_url = :u", u=FLOOR_PLAN) == key

    # and a second deploy with nothing new makes no PUT at all
    again = deploy(None, s3_settings)
    assert again.media_written == 0
    assert _keys(s3_server, s3_settings.media_bucket or "") == stored


def test_a_dry_run_stores_nothing(s3_settings: Settings, s3_server: str, migrated_engine) -> None:
    deploy(None, s3_settings, dry_run=True)

    assert _keys(s3_server, s3_settings.media_bucket or "") == set()
    assert scalar(migrated_engine, "SELECT count(*) FROM media_objects") == 0


def test_a_reference_to_an_object_nobody_stored_deploys_nothing(s3_settings: Settings, migrated_engine) -> None:
    # given a module that points at a stored original that is not in the bucket
    path = s3_settings.modules_dir / "lab-safety-101.json"
    module = json.loads(path.read_text())
    missing = original_key("ab" * 32, "image/png")
    section = next(s for s in module["sections"] if s.get("media_url") == FLOOR_PLAN)
    section["media_url"] = f"/media/{missing}"
    path.write_text(json.dumps(module, indent=2) + "\n")

    with pytest.raises(ValidationFailed) as refused:
        deploy(None, s3_settings)

    assert any(f"/media/{missing} is not stored in bucket" in p.message for p in refused.value.problems)
    assert scalar(migrated_engine, "SELECT count(*) FROM modules") == 0
    assert scalar(migrated_engine, "SELECT count(*) FROM media_objects") == 0


def test_an_unreachable_store_rolls_the_deploy_back(settings: Settings, migrated_engine, tmp_path: Path) -> None:
    broken = settings.with_overrides(media_bucket="media", media_endpoint_url="http://127.0.0.1:9")

    with pytest.raises(MediaStoreError, match="unreachable"):
        deploy(None, broken)

    assert scalar(migrated_engine, "SELECT count(*) FROM modules") == 0
