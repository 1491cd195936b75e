"""Module media from Notion: download Notion-hosted files into data/assets/<module_id>/ under content-hash names."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import NotionError
from pipeline.module.assets import ASSET_URL_PREFIX, image_size_of
from pipeline.module.canonical import write_atomically
from pipeline.module.media import ALLOWED_LABELS, media_for_content_type
from pipeline.notion.client import ExpiredFileURL, NotionGateway, is_transient


@dataclass
class PageAssets:
    """The files one page's conversion asked for: fetched into memory first, written only if the page exports."""

    gateway: NotionGateway
    page_id: str
    module_id: str
    pending: dict[str, bytes] = field(default_factory=dict)  # asset file name -> content
    outages: list[str] = field(default_factory=list)  # downloads that failed for Notion's or the network's sake

    def resolve_file(self, block: dict[str, Any]) -> str:
        """The URL a module should use for a media block: external URLs as they are, Notion files as /assets/…."""
        payload = block.get(block.get("type", "")) or {}
        if payload.get("type") == "external":
            return (payload.get("external") or {}).get("url", "")
        url = (payload.get("file") or {}).get("url", "")
        try:
            name = self._fetch(block, url)
        except NotionError as error:
            if is_transient(error):
                self.outages.append(str(error))
            raise  # the converter names the block and the section in the page's problems
        return f"{ASSET_URL_PREFIX}{self.module_id}/{name}"

    def image_size(self, url: str) -> tuple[int, int] | None:
        """(width, height) of a picture this page uploaded (resolved to /assets/…); None for others."""
        if not url.startswith(ASSET_URL_PREFIX):
            return None
        content = self.pending.get(url.rsplit("/", 1)[-1])
        return image_size_of(content) if content is not None else None

    def _fetch(self, block: dict[str, Any], url: str) -> str:
        try:
            download = self.gateway.download(url)
        except ExpiredFileURL:
            # Signed URLs live an hour; a fresh one comes with the block itself.
            fresh = self.gateway.retrieve_block(block["id"], self.page_id)
            url = (fresh.get(fresh.get("type", "")) or {}).get("file", {}).get("url", "")
            download = self.gateway.download(url)
        # The media types validate accepts (pipeline/module/media.py), by Content-Type and by content: export
        # never writes a file validate would refuse (SVG and HTML carry script, so they are not on the list).
        content_type = download.content_type.lower()
        media = media_for_content_type(content_type)
        if media is None:
            raise NotionError(
                f"the file's type {content_type or 'unknown'!r} is not allowed in a module (use {ALLOWED_LABELS})"
            )
        if not media.looks_like(download.content):
            raise NotionError(f"the file claims to be {content_type} but its content is not; upload it again")
        name = hashlib.sha256(download.content).hexdigest()[:16] + media.extensions[0]
        self.pending[name] = download.content
        return name

    def write(self, assets_dir: Path) -> list[Path]:
        """Write the fetched files (atomically); returns the ones that were new, so a failed page can remove them."""
        created = []
        for name, content in sorted(self.pending.items()):
            path = assets_dir / self.module_id / name
            existed = path.exists()
            if write_atomically(path, content) and not existed:
                created.append(path)
        return created
