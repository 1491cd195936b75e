"""One contract for both back ends: the local folder and S3 (moto's server through boto3) behave the same."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from pipeline.media.keys import CACHE_CONTROL, derived_key, original_key
from pipeline.media.local import LocalStore
from pipeline.media.s3 import S3Store
from pipeline.media.store import Blob, MediaStore, MediaStoreError

PNG_HEAD = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MediaStore]:
    if request.param == "local":
        yield LocalStore(tmp_path / "media")
    else:
        server = request.getfixturevalue("s3_server")
        bucket = request.getfixturevalue("s3_bucket")
        yield S3Store(bucket, server, multipart_threshold=5 * 1024 * 1024, part_bytes=5 * 1024 * 1024)


def _blob(data: bytes, content_type: str = "image/png") -> Blob:
    return Blob.of_bytes(original_key(hashlib.sha256(data).hexdigest(), content_type), data)


def test_an_object_is_stored_once_and_a_second_put_is_told_it_is_there(store: MediaStore) -> None:
    blob = _blob(PNG_HEAD + b"picture")

    assert store.put(blob) is True
    assert store.put(blob) is False  # 412 on S3: If-None-Match: *
    assert store.get(blob.key) == blob.data
    assert store.exists(blob.key)
    assert store.requests["PUT"] == 2


def test_a_missing_object_reads_as_none(store: MediaStore) -> None:
    key = original_key("ab" * 32, "image/png")

    assert store.get(key) is None
    assert not store.exists(key)


def test_listing_shows_every_stored_object_with_its_size(store: MediaStore) -> None:
    first, second = _blob(PNG_HEAD + b"one"), _blob(PNG_HEAD + b"two-two")
    for blob in (first, second):
        store.put(blob)

    listed = {o.key: o.size for o in store.list()}

    assert listed == {first.key: first.size, second.key: second.size}


def test_a_deleted_object_is_gone(store: MediaStore) -> None:
    blob = _blob(PNG_HEAD + b"gone")
    store.put(blob)

    store.delete(blob.key)

    assert store.get(blob.key) is None


def test_a_video_above_the_threshold_goes_up_in_parts_and_reads_back_whole(store: MediaStore, tmp_path: Path) -> None:
    video = tmp_path / "walkthrough.mp4"
    data = b"\0\0\0\x18ftypisom" + hashlib.sha256(b"seed").digest() * (12 * 1024 * 1024 // 32)
    video.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    blob = Blob.of_file(original_key(digest, "video/mp4"), video, digest)

    assert store.put(blob) is True
    assert store.put(blob) is False
    assert hashlib.sha256(store.get(blob.key) or b"").hexdigest() == digest


def test_a_corrupted_upload_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    # given bytes that changed on the way (their declared SHA-256 is of other bytes)
    store = LocalStore(tmp_path / "media")
    good = _blob(PNG_HEAD + b"what was meant")
    corrupted = Blob(good.key, good.sha256, good.size, good.headers, data=PNG_HEAD + b"what arrived!!")

    # when it is stored, then it is refused, and a later honest upload still succeeds
    with pytest.raises(MediaStoreError, match="do not match their SHA-256"):
        store.put(corrupted)
    assert store.get(good.key) is None
    assert store.put(good) is True


def test_s3_objects_carry_the_cdn_headers_and_their_checksum(s3_server: str, s3_bucket: str) -> None:
    store = S3Store(s3_bucket, s3_server)
    picture = _blob(PNG_HEAD + b"headers")
    sheet = Blob.of_bytes(original_key("cd" * 32, "application/pdf"), b"%PDF-1.4 sheet", "Safety sheet.pdf")
    store.put(picture)
    store.put(sheet)
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")

    head = client.head_object(Bucket=s3_bucket, Key=picture.key, ChecksumMode="ENABLED")
    pdf = client.head_object(Bucket=s3_bucket, Key=sheet.key)

    assert head["CacheControl"] == CACHE_CONTROL == "public, max-age=31536000, immutable"
    assert head["ContentType"] == "image/png"
    assert head.get("ChecksumSHA256") == picture.sha256_base64
    assert pdf["ContentType"] == "application/pdf"
    assert pdf["ContentDisposition"] == 'attachment; filename="Safety_sheet.pdf"'


def test_a_bucket_that_refuses_says_which_permission_without_showing_a_secret(s3_server: str) -> None:
    store = S3Store("no-such-bucket-here", s3_server)
    blob = _blob(PNG_HEAD + b"x")

    with pytest.raises(MediaStoreError) as refused:
        store.put(blob)

    assert "no-such-bucket-here" in str(refused.value)
    assert "testing" not in str(refused.value)  # the access key of the test credentials


def test_an_unreachable_store_fails_clearly_and_is_retryable(tmp_path: Path) -> None:
    store = S3Store("media", "http://127.0.0.1:9")  # nothing listens on the discard port

    with pytest.raises(MediaStoreError, match="unreachable") as failed:
        store.put(_blob(PNG_HEAD + b"y"))

    assert failed.value.retryable


def test_derived_objects_sit_beside_their_original() -> None:
    digest = "ef" * 32
    assert original_key(digest, "image/png") == f"sha256/ef/ef/{digest}.png"
    assert derived_key(digest, "w640.webp") == f"sha256/ef/ef/{digest}/v1/w640.webp"
