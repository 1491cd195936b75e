"""The store: one small interface over a local folder (the default) and any S3-compatible service.

Objects are immutable: `put` writes a key once (S3's `If-None-Match: *`; the local folder's exclusive link) and
answers False when the key was there already. Every body travels with its SHA-256, which the back end checks, so
a corrupted upload is refused instead of stored. Each store counts the requests it makes (`requests`), so that a
run can say how many PUTs it needed (none, the second time).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pipeline.errors import PipelineError
from pipeline.media.keys import ObjectHeaders, headers_for

CHUNK_BYTES = 8 * 1024 * 1024


class MediaStoreError(PipelineError):
    """The store refused or failed a request; the message says which object and what to check (never a secret).

    `retryable` is True when a later run may succeed (unreachable, throttled, a 5xx), False for a refusal."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)


@dataclass(frozen=True)
class Blob:
    """Bytes to store under `key`: held in memory (`data`) or read from `path` in chunks (a video)."""

    key: str
    sha256: str  # hex digest the back end must verify
    size: int
    headers: ObjectHeaders
    data: bytes | None = None
    path: Path | None = None

    @classmethod
    def of_bytes(cls, key: str, data: bytes, download_name: str | None = None) -> Blob:
        return cls(key, hashlib.sha256(data).hexdigest(), len(data), headers_for(key, download_name), data=data)

    @classmethod
    def of_file(cls, key: str, path: Path, sha256: str, download_name: str | None = None) -> Blob:
        return cls(key, sha256, path.stat().st_size, headers_for(key, download_name), path=path)

    @property
    def sha256_base64(self) -> str:
        return base64.b64encode(bytes.fromhex(self.sha256)).decode("ascii")

    def chunks(self, size: int = CHUNK_BYTES) -> Iterator[bytes]:
        if self.data is not None:
            for start in range(0, len(self.data), size):
                yield self.data[start : start + size]
            return
        assert self.path is not None
        with self.path.open("rb") as handle:
            while chunk := handle.read(size):
                yield chunk


@dataclass(frozen=True)
class StoredObject:
    """One object as a listing sees it (gc only)."""

    key: str
    size: int
    last_modified: datetime


class MediaStore(Protocol):
    """What export, deploy, validate and gc need from object storage."""

    description: str  # for messages: "the local folder .pipeline/media" or "bucket frames-media"
    requests: RequestCount

    def put(self, blob: Blob) -> bool:
        """Store `blob` unless its key exists: True when written, False when it was there (412)."""
        ...

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def list(self, prefix: str = "sha256/") -> Iterator[StoredObject]:
        """Every object under `prefix` (gc alone lists: the others know what is stored from the manifest)."""
        ...


class RequestCount:
    """Requests a store made, by verb (PUT counts every part of a multipart upload once, as one upload)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, verb: str, n: int = 1) -> None:
        with self._lock:
            self._counts[verb] += n

    def __getitem__(self, verb: str) -> int:
        return self._counts[verb]

    @property
    def total(self) -> int:
        return sum(self._counts.values())

    def as_dict(self) -> dict[str, int]:
        return dict(self._counts)
