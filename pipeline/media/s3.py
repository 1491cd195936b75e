"""The S3-compatible back end (AWS S3, Cloudflare R2, Backblaze B2, MinIO) through boto3.

Credentials and region are boto3's own (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, or a role): this
module never reads or shows them. Every PUT is conditional (`If-None-Match: *`, 412 = already stored) and carries
its SHA-256 (`ChecksumAlgorithm=SHA256`), which S3 verifies; a body above `multipart_threshold` goes up in parts
of `part_bytes` (S3's minimum is 5 MiB), each with its own checksum, read from disk one part at a time.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from pipeline.media.store import Blob, MediaStoreError, RequestCount, StoredObject

MULTIPART_THRESHOLD = 16 * 1024 * 1024
PART_BYTES = 8 * 1024 * 1024


class S3Store:
    """Objects in `bucket` of an S3-compatible service."""

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        *,
        max_connections: int = 8,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        part_bytes: int = PART_BYTES,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.description = f"bucket {bucket!r}" + (f" at {endpoint_url}" if endpoint_url else "")
        self.requests = RequestCount()
        self.multipart_threshold = max(multipart_threshold, 5 * 1024 * 1024)
        self.part_bytes = max(part_bytes, 5 * 1024 * 1024)
        config = Config(
            max_pool_connections=max_connections,
            retries={"mode": "standard", "max_attempts": 4},
            connect_timeout=10,
            read_timeout=60,
            # Send the SHA-256 we name, no extra CRC: S3 verifies the body against it.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url or None, config=config)

    def put(self, blob: Blob) -> bool:
        headers = blob.headers
        extra: dict[str, Any] = {"ContentType": headers.content_type, "CacheControl": headers.cache_control}
        if headers.content_disposition:
            extra["ContentDisposition"] = headers.content_disposition
        if blob.size > self.multipart_threshold:
            return self._put_in_parts(blob, extra)
        body = blob.data if blob.data is not None else b"".join(blob.chunks())
        self.requests.add("PUT")
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=blob.key,
                Body=body,
                IfNoneMatch="*",
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=blob.sha256_base64,
                **extra,
            )
        except ClientError as exc:
            if _status(exc) == 412:
                return False
            raise self._error("store", blob.key, exc) from None
        except BotoCoreError as exc:
            raise self._error("store", blob.key, exc) from None
        return True

    def _put_in_parts(self, blob: Blob, extra: dict[str, Any]) -> bool:
        try:
            self.requests.add("PUT")
            upload = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=blob.key, ChecksumAlgorithm="SHA256", **extra
            )
            upload_id = upload["UploadId"]
            parts = []
            try:
                for number, chunk in enumerate(blob.chunks(self.part_bytes), start=1):
                    checksum = base64.b64encode(hashlib.sha256(chunk).digest()).decode("ascii")
                    answer = self.client.upload_part(
                        Bucket=self.bucket,
                        Key=blob.key,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=chunk,
                        ChecksumAlgorithm="SHA256",
                        ChecksumSHA256=checksum,
                    )
                    parts.append({"ETag": answer["ETag"], "PartNumber": number, "ChecksumSHA256": checksum})
                self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=blob.key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                    IfNoneMatch="*",
                )
            except (ClientError, BotoCoreError):
                # If the abort fails too, the part expires under the bucket's lifecycle rule (docs/media.md).
                with contextlib.suppress(ClientError, BotoCoreError):
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=blob.key, UploadId=upload_id)
                raise
        except ClientError as exc:
            if _status(exc) == 412:
                return False
            raise self._error("store", blob.key, exc) from None
        except BotoCoreError as exc:
            raise self._error("store", blob.key, exc) from None
        return True

    def get(self, key: str) -> bytes | None:
        self.requests.add("GET")
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise self._error("read", key, exc) from None
        except BotoCoreError as exc:
            raise self._error("read", key, exc) from None
        return body

    def exists(self, key: str) -> bool:
        self.requests.add("HEAD")
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _status(exc) == 404:
                return False
            raise self._error("look up", key, exc) from None
        except BotoCoreError as exc:
            raise self._error("look up", key, exc) from None
        return True

    def delete(self, key: str) -> None:
        self.requests.add("DELETE")
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise self._error("delete", key, exc) from None

    def list(self, prefix: str = "sha256/") -> Iterator[StoredObject]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            for page in pages:
                self.requests.add("LIST")
                for item in page.get("Contents", []):
                    yield StoredObject(item["Key"], item["Size"], item["LastModified"])
        except (ClientError, BotoCoreError) as exc:
            raise self._error("list", prefix, exc) from None

    def _error(self, verb: str, key: str, exc: Exception) -> MediaStoreError:
        status = _status(exc) if isinstance(exc, ClientError) else None
        if status == 403:
            return MediaStoreError(
                f"{self.description} refused to {verb} {key} (403 Access Denied): the credentials of this job lack "
                "the permission (docs/media.md lists each job's IAM actions); fix them and run it again",
                retryable=True,
            )
        if status == 404 and verb != "read":
            return MediaStoreError(f"{self.description} does not exist (404): create it or fix MEDIA_BUCKET", False)
        code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else type(exc).__name__
        return MediaStoreError(
            f"could not {verb} {key} in {self.description} ({code or status}); "
            "the store may be unreachable: it is retried on the next run"
        )


def _status(exc: ClientError) -> int | None:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if status is None:
        code = exc.response.get("Error", {}).get("Code", "")
        status = {"PreconditionFailed": 412, "NoSuchKey": 404, "404": 404, "AccessDenied": 403}.get(code)
    return int(status) if status is not None else None
