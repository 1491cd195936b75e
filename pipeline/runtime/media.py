"""Media as students fetch them: module references resolved to URLs on MEDIA_BASE_URL with their variants.

A section with stored media gets `media` = {url, type, width, height, alt, variants: [{url, width, type}],
placeholder, poster}, and its `media_url` becomes that `url`. Markdown keeps being Markdown: each image source
that is a stored original is rewritten to its URL, and the section's `images` lists the same objects (by `url`),
so a client rendering the Markdown can add `srcset`, `sizes`, `width` and `height` (docs/runtime-api.md).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from pipeline.media.keys import key_of_media_url
from pipeline.media.manifest import load_aliases, load_manifest
from pipeline.media.record import MediaRecord
from pipeline.media.references import module_media_urls, repoint_images
from pipeline.module.assets import is_local_asset

MediaIndex = dict[str, MediaRecord]  # a module's /media/ or /assets/ URL -> the stored original's record


def load_media_index(conn: Connection, sections: list[dict[str, Any]]) -> MediaIndex:
    """The records of every stored original these sections refer to (two small indexed reads; none if no media)."""
    urls = module_media_urls({"sections": sections})
    if not urls:
        return {}
    aliases = load_aliases(conn, [u for u in urls if is_local_asset(u)])
    keys = {u: key_of_media_url(u) or aliases.get(u) for u in urls}
    records = load_manifest(conn, {k for k in keys.values() if k})
    return {url: records[key] for url, key in keys.items() if key in records}


def media_object(record: MediaRecord, base: str, alt: str | None) -> dict[str, Any]:
    """The wire shape of one stored original (docs/runtime-api.md)."""
    return {
        "url": f"{base}/{record.key}",
        "type": record.content_type,
        "width": record.width,
        "height": record.height,
        "alt": alt,
        "variants": [{"url": f"{base}/{v.key}", "width": v.width, "type": v.content_type} for v in record.variants],
        "placeholder": record.placeholder,
        "poster": f"{base}/{record.poster}" if record.poster else None,
    }


def resolve_sections(
    sections: list[dict[str, Any]], index: MediaIndex, base: str, references: Mapping[str, Any] | None
) -> str:
    """Give each section its `media` (and Markdown images their URLs) in place; returns a digest of every URL
    handed out, which the module's ETag carries (a new MEDIA_BASE_URL or a re-stored file changes it)."""
    digest = hashlib.sha256(base.encode())
    for section in sections:
        url = section.get("media_url")
        reference = (references or {}).get(section.get("section_id", "")) or {}
        record = index.get(url) if isinstance(url, str) else None
        section["media"] = None
        if record is not None:
            alt = reference.get("alt") if isinstance(reference, Mapping) else None
            section["media"] = media_object(record, base, alt or section.get("title"))
            section["media_url"] = section["media"]["url"]
            digest.update(record.key.encode())
        content = section.get("content")
        if isinstance(content, str) and index:
            images = []
            for source, image in index.items():
                marker = "(" + source
                if marker in content:
                    resolved = media_object(image, base, _alt_of(content, source))
                    content = repoint_images(content, source, str(resolved["url"]))
                    images.append(resolved)
                    digest.update(image.key.encode())
            section["content"] = content
            if images:
                section["images"] = images
    return digest.hexdigest()[:12]


def _alt_of(markdown: str, source: str) -> str | None:
    match = re.search(r"!\[([^\]]*)\]\(\s*" + re.escape(source), markdown)
    return match.group(1) if match else None
