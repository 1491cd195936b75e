"""The local folder back end (the default, `.pipeline/media/`): what `serve` answers at `/media/<key>`.

A write goes to a temporary file whose SHA-256 is checked against the one declared, then is linked into place
with `os.link`, which fails when the key exists: an object is written once, whole, or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pipeline.media.keys import digest_of_key
from pipeline.media.store import Blob, MediaStoreError, RequestCount, StoredObject


class LocalStore:
    """Objects as files under `root`, one per key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = f"the local media folder {root}"
        self.requests = RequestCount()

    def path_of(self, key: str) -> Path | None:
        """The file for `key`, or None when the key is not one this store could hold (no way out of `root`)."""
        if digest_of_key(key) is None:
            return None
        return self.root.joinpath(*key.split("/"))

    def put(self, blob: Blob) -> bool:
        self.requests.add("PUT")
        path = self._path(blob.key)
        if path.exists():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in blob.chunks():
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != blob.sha256:
                raise MediaStoreError(
                    f"{blob.key}: the bytes received do not match their SHA-256 checksum (the upload was corrupted); "
                    "nothing was stored, run it again",
                    retryable=True,
                )
            try:
                os.link(temporary, path)
            except FileExistsError:
                return False  # another writer stored the same bytes meanwhile
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def get(self, key: str) -> bytes | None:
        self.requests.add("GET")
        path = self.path_of(key)
        try:
            return path.read_bytes() if path is not None else None
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        self.requests.add("HEAD")
        path = self.path_of(key)
        return path is not None and path.is_file()

    def delete(self, key: str) -> None:
        self.requests.add("DELETE")
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def list(self, prefix: str = "sha256/") -> Iterator[StoredObject]:
        self.requests.add("LIST")
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith(".upload-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    stat = path.stat()
                    yield StoredObject(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def _path(self, key: str) -> Path:
        path = self.path_of(key)
        if path is None:
            raise MediaStoreError(f"{key!r} is not a media key (sha256/<aa>/<bb>/<hex>…)", retryable=False)
        return path
