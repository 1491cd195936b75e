"""Storing originals with their variants: each original once, with bounded parallelism, record last.

What the manifest already knows (`known`) costs no request at all, so a second run with nothing new makes zero
PUTs. Pictures are made into variants by at most `cpu_workers` threads at a time (Pillow decodes and encodes
without the GIL) and uploaded by `workers` threads; at most `2 x workers` prepared originals wait for upload, so
memory stays bounded however many files there are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Collection, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.media.keys import ObjectHeaders, derived_key, headers_for, original_key
from pipeline.media.record import MediaRecord, Rendition
from pipeline.media.store import Blob, MediaStore
from pipeline.media.variants import VARIANT_SOURCES, PictureRefused, make_variants, picture_size
from pipeline.media.video import VideoFacts, inspect_video

log = logging.getLogger(__name__)
HASH_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class MediaSource:
    """An original to store: its bytes in memory (`data`) or a file (`path`), its digest and its type."""

    sha256: str
    content_type: str
    size: int
    name: str  # for messages and a download's file name
    data: bytes | None = None
    path: Path | None = None

    @property
    def key(self) -> str:
        return original_key(self.sha256, self.content_type)

    @classmethod
    def of_bytes(cls, data: bytes, content_type: str, name: str) -> MediaSource:
        return cls(hashlib.sha256(data).hexdigest(), content_type, len(data), name, data=data)

    @classmethod
    def of_file(cls, path: Path, content_type: str, name: str | None = None) -> MediaSource:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
        return cls(digest.hexdigest(), content_type, path.stat().st_size, name or path.name, path=path)

    def read(self) -> bytes:
        return self.data if self.data is not None else self.path.read_bytes()  # type: ignore[union-attr]

    def blob(self) -> Blob:
        if self.data is not None:
            return Blob(self.key, self.sha256, self.size, _headers(self), data=self.data)
        assert self.path is not None
        return Blob(self.key, self.sha256, self.size, _headers(self), path=self.path)


def _headers(source: MediaSource) -> ObjectHeaders:
    return headers_for(source.key, source.name)


@dataclass
class StoreRun:
    """What storing a batch did: the records of every original asked for, and the requests it took."""

    records: dict[str, MediaRecord] = field(default_factory=dict)
    written: int = 0  # objects newly written (originals, variants, posters, records)
    already_there: int = 0  # PUTs answered 412: another run stored them first
    known: int = 0  # originals the manifest knew: no request at all
    refused: dict[str, str] = field(default_factory=dict)  # key -> why (a picture too large to make variants of)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, stored: bool) -> None:
        with self._lock:
            if stored:
                self.written += 1
            else:
                self.already_there += 1


def prepare(source: MediaSource) -> tuple[list[Blob], MediaRecord]:
    """The objects to store for one original (variants or poster, the original, the record last) and its record."""
    blobs: list[Blob] = []
    width = height = None
    variants: tuple[Rendition, ...] = ()
    placeholder = poster = None
    faststart = None
    if source.content_type in VARIANT_SOURCES:
        made = make_variants(source.sha256, source.read(), source.content_type)
        width, height, placeholder = made.width, made.height, made.placeholder
        blobs += [Blob.of_bytes(v.key, v.data) for v in made.variants]
        variants = tuple(Rendition(v.key, v.width, v.content_type) for v in made.variants)
    elif source.content_type.startswith("image/"):
        width, height = picture_size(source.read())
    elif source.content_type.startswith("video/"):
        facts = _inspect(source)
        width, height, faststart = facts.width, facts.height, facts.faststart
        if facts.poster is not None:
            poster = derived_key(source.sha256, "poster.jpg")
            blobs.append(Blob.of_bytes(poster, facts.poster))
    record = MediaRecord(
        source.key,
        source.sha256,
        source.content_type,
        source.size,
        width,
        height,
        variants,
        placeholder,
        poster,
        faststart,
    )
    blobs.insert(0, source.blob())
    blobs.append(Blob.of_bytes(record.record_key, record.dumps()))
    return blobs, record


def _inspect(source: MediaSource) -> VideoFacts:
    if source.path is not None:
        return inspect_video(source.path, source.content_type)
    handle, name = tempfile.mkstemp(suffix=".video")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(source.read())
        return inspect_video(Path(name), source.content_type)
    finally:
        os.unlink(name)


def store_sources(
    store: MediaStore,
    sources: Iterable[MediaSource],
    known: Collection[str] = (),
    *,
    workers: int = 8,
    cpu_workers: int | None = None,
) -> StoreRun:
    """Store every source the manifest does not know (`known`: original keys), with its variants."""
    run = StoreRun()
    todo: dict[str, MediaSource] = {}
    for source in sources:
        if source.key in known:
            run.known += 1
        else:
            todo.setdefault(source.key, source)
    if not todo:
        return run
    cpu_workers = cpu_workers or min(len(todo), os.cpu_count() or 1)
    waiting = threading.BoundedSemaphore(2 * workers)  # prepared originals not yet uploaded
    with (
        ThreadPoolExecutor(cpu_workers, "media-variants") as making,
        ThreadPoolExecutor(workers, "media-put") as putting,
    ):
        uploads: list[Future[None]] = []

        def make(source: MediaSource) -> None:
            waiting.acquire()
            try:
                blobs, record = prepare(source)
            except PictureRefused as exc:
                waiting.release()
                run.refused[source.key] = f"{source.name}: {exc}"
                return
            except BaseException:
                waiting.release()
                raise
            uploads.append(putting.submit(upload, blobs, record))

        def upload(blobs: list[Blob], record: MediaRecord) -> None:
            try:
                for blob in blobs:
                    run.count(store.put(blob))
                run.records[record.key] = record
            finally:
                waiting.release()

        for future in [making.submit(make, s) for s in todo.values()]:
            future.result()  # a store error stops the batch: the caller fails the page or the deploy
        for upload_future in list(uploads):
            upload_future.result()
    log.info(
        "media: %d original(s) stored (%d object(s) written, %d already there), %d known",
        len(run.records),
        run.written,
        run.already_there,
        run.known,
    )
    return run


def fetch_records(store: MediaStore, keys: Iterable[str]) -> dict[str, MediaRecord]:
    """The records the store holds for these original keys (one GET each): what another run stored already."""
    found: dict[str, MediaRecord] = {}
    for key in keys:
        source_digest = key.rsplit("/", 1)[-1].split(".", 1)[0]
        raw = store.get(derived_key(source_digest, "record.json"))
        if raw is not None:
            try:
                record = MediaRecord.from_json(json.loads(raw))
            except (ValueError, KeyError, TypeError):
                continue  # unreadable: stored again, which rewrites nothing but the missing parts
            if record.key == key:
                found[key] = record
    return found
