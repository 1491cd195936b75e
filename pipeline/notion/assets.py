"""Module media from Notion: Notion-hosted files fetched, referred to as `/media/<content-addressed key>`, and
stored (with their variants) in the media store only when their page exports. No byte goes into Git."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import NotionError
from pipeline.media.ingest import MediaSource, StoreRun, store_sources
from pipeline.media.keys import key_of_media_url, media_url_of_key
from pipeline.media.store import MediaStore
from pipeline.media.variants import PictureRefused, picture_size
from pipeline.module.media import ALLOWED_LABELS, media_for_content_type
from pipeline.notion.client import ExpiredFileURL, FileTooLarge, NotionGateway, is_transient

DEFAULT_MAX_BYTES = 500 * 1024 * 1024


@dataclass
class PageAssets:
    """The files one page's conversion asked for: fetched into memory first, stored only if the page exports."""

    gateway: NotionGateway
    page_id: str
    module_id: str
    max_bytes: int = DEFAULT_MAX_BYTES
    pending: dict[str, MediaSource] = field(default_factory=dict)  # /media/… URL -> the file
    alts: dict[str, str] = field(default_factory=dict)  # /media/… URL -> the block's caption
    outages: list[str] = field(default_factory=list)  # downloads that failed for Notion's or the network's sake

    def resolve_file(self, block: dict[str, Any]) -> str:
        """The URL a module should use for a media block: external URLs as they are, Notion files as /media/…."""
        payload = block.get(block.get("type", "")) or {}
        if payload.get("type") == "external":
            return (payload.get("external") or {}).get("url", "")
        url = (payload.get("file") or {}).get("url", "")
        try:
            source = self._fetch(block, url)
        except NotionError as error:
            if is_transient(error):
                self.outages.append(str(error))
            raise  # the converter names the block and the section in the page's problems
        media_url = media_url_of_key(source.key)
        self.pending[media_url] = source
        self.alts.setdefault(media_url, _caption(block))
        return media_url

    def image_size(self, url: str) -> tuple[int, int] | None:
        """(width, height) of a picture this page fetched (resolved to /media/…); None for others."""
        source = self.pending.get(url)
        if source is None or not source.content_type.startswith("image/"):
            return None
        try:
            return picture_size(source.read())
        except PictureRefused:
            return None

    def reference(self, url: str) -> dict[str, Any] | None:
        """The small reference the module file keeps for a fetched file (schema `media_reference`), or None."""
        source = self.pending.get(url)
        if source is None:
            return None
        size = self.image_size(url)
        return {
            "sha256": source.sha256,
            "type": source.content_type,
            "bytes": source.size,
            "width": size[0] if size else None,
            "height": size[1] if size else None,
            "alt": self.alts.get(url, ""),
        }

    def with_references(self, module: dict[str, Any]) -> dict[str, Any]:
        """`module` with a `media` reference on each section whose media this page fetched."""
        sections = []
        for section in module.get("sections") or []:
            reference = self.reference(section.get("media_url") or "") if isinstance(section, dict) else None
            sections.append({**section, "media": reference} if reference else section)
            if reference is None and isinstance(section, dict):
                sections[-1] = {k: v for k, v in section.items() if k != "media"}
        return {**module, "sections": sections}

    def store(self, store: MediaStore, known: Collection[str] = (), workers: int = 8) -> StoreRun:
        """Store every fetched file with its variants (what `known` names is stored already: no request)."""
        return store_sources(store, self.pending.values(), known, workers=workers)

    def _fetch(self, block: dict[str, Any], url: str) -> MediaSource:
        try:
            download = self._download(block, url)
        except FileTooLarge as error:
            raise NotionError(_too_large(block, error.size, self.max_bytes), code="file_too_large") from None
        # The media types validate accepts (pipeline/module/media.py), by Content-Type and by content: export
        # never stores a file validate would refuse (SVG and HTML carry script, so they are not on the list).
        content_type = download.content_type.lower()
        media = media_for_content_type(content_type)
        if media is None:
            raise NotionError(
                f"the file's type {content_type or 'unknown'!r} is not allowed in a module (use {ALLOWED_LABELS})"
            )
        if not media.looks_like(download.content):
            raise NotionError(f"the file claims to be {content_type} but its content is not; upload it again")
        return MediaSource.of_bytes(download.content, media.content_type, _file_name(block, media.extensions[0]))

    def _download(self, block: dict[str, Any], url: str) -> Any:
        try:
            return self.gateway.download(url, self.max_bytes)
        except ExpiredFileURL:
            # Signed URLs live an hour; a fresh one comes with the block itself.
            fresh = self.gateway.retrieve_block(block["id"], self.page_id)
            url = (fresh.get(fresh.get("type", "")) or {}).get("file", {}).get("url", "")
            return self.gateway.download(url, self.max_bytes)


def stored_keys(module: dict[str, Any] | None) -> set[str]:
    """The originals a module file already refers to: they were stored when it was exported."""
    keys: set[str] = set()
    for section in (module or {}).get("sections") or []:
        key = key_of_media_url(section.get("media_url") or "") if isinstance(section, dict) else None
        if key:
            keys.add(key)
    return keys


def _caption(block: dict[str, Any]) -> str:
    payload = block.get(block.get("type", "")) or {}
    return "".join(part.get("plain_text", "") for part in payload.get("caption") or []).strip()[:1000]


def _file_name(block: dict[str, Any], extension: str) -> str:
    payload = block.get(block.get("type", "")) or {}
    name = str(payload.get("name") or "").strip()
    return name or (block.get("type") or "file") + extension


def _too_large(block: dict[str, Any], size: int | None, limit: int) -> str:
    kind = block.get("type") or "file"
    name = _caption(block) or str((block.get(kind) or {}).get("name") or "").strip()
    what = f"the {kind} {name!r}" if name else f"the {kind}"
    said = f"is {_in_words(size)}" if size else "is too large"
    return (
        f"{what} {said}; the limit is {_in_words(limit)}: make it smaller (or link to it) and mark the page Ready again"
    )


def _in_words(size: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"
