"""Module media: mapping `/assets/...` URLs to files under data/assets/, and reading image sizes."""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from pipeline.module.markdown_policy import inspect_markdown

ASSET_URL_PREFIX = "/assets/"


def is_local_asset(media_url: str | None) -> bool:
    """True for `/assets/...` URLs (files kept in the repository), False for https:// and null."""
    return isinstance(media_url, str) and media_url.startswith(ASSET_URL_PREFIX)


def referenced_assets(module: Mapping[str, Any]) -> list[str]:
    """Every `/assets/...` URL a module uses: section media and images inside Markdown content, in order."""
    urls: list[str] = []
    for section in module.get("sections") or []:
        if not isinstance(section, Mapping):
            continue
        if is_local_asset(section.get("media_url")):
            urls.append(section["media_url"])
        if isinstance(section.get("content"), str):
            urls.extend(u for u in inspect_markdown(section["content"]).image_sources if is_local_asset(u))
    return list(dict.fromkeys(urls))


def asset_path(media_url: str, assets_dir: Path) -> Path | None:
    """The file behind an `/assets/...` URL, or None when the URL would leave `assets_dir`."""
    relative = media_url[len(ASSET_URL_PREFIX) :]
    # Plain string work (validation calls this for every image): the parts PurePosixPath would keep.
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if relative.startswith("/") or ".." in parts or not parts:
        return None
    return assets_dir.joinpath(*parts)


def asset_url(path: Path, assets_dir: Path) -> str:
    """The `/assets/...` URL of a file under `assets_dir`."""
    return ASSET_URL_PREFIX + path.relative_to(assets_dir).as_posix()


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) in pixels of a PNG, GIF or JPEG file; None for other files or unreadable ones."""
    try:
        with path.open("rb") as handle:
            return _image_size(handle)
    except OSError:
        return None


def image_size_of(content: bytes) -> tuple[int, int] | None:
    """The same for an image held in memory (a download not yet written)."""
    return _image_size(io.BytesIO(content))


def _image_size(handle: BinaryIO) -> tuple[int, int] | None:
    try:
        head = handle.read(32)
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", head[6:10])
        if head.startswith(b"\xff\xd8"):
            handle.seek(2)
            return _jpeg_size(handle)
    except (OSError, struct.error):
        return None
    return None


def _jpeg_size(handle) -> tuple[int, int] | None:
    while True:
        marker = handle.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        if marker[1] in (0xD8, 0x01) or 0xD0 <= marker[1] <= 0xD7:
            continue
        length_bytes = handle.read(2)
        if len(length_bytes) < 2:
            return None
        (length,) = struct.unpack(">H", length_bytes)
        if marker[1] in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            frame = handle.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return width, height
        handle.seek(length - 2, 1)
