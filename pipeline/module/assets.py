"""Module media: mapping `/assets/...` URLs to files under data/assets/, and reading image sizes."""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pipeline.module.markdown_policy import inspect_markdown
from pipeline.module.media import is_windows_reserved, media_problem, read_head
from pipeline.module.problems import display_path

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


@dataclass(frozen=True)
class AssetCheck:
    """An `/assets/...` URL checked: the real file behind it when it may be used, else why not."""

    path: Path | None
    problem: str | None = None


def check_asset(media_url: str, assets_dir: Path) -> AssetCheck:
    """The one rule for local media (validate refuses, preview does not copy): a real file inside `assets_dir`,
    reachable on every platform, of an allowed media type by name and content."""
    path = asset_path(media_url, assets_dir)
    if path is None:
        return AssetCheck(None, f"{media_url!r} points outside data/assets/; use /assets/<module_id>/<file>")
    reserved = next((part for part in path.relative_to(assets_dir).parts if is_windows_reserved(part)), None)
    if reserved is not None:
        return AssetCheck(
            None, f"{media_url!r} uses {reserved!r}, a device name Windows reserves (a checkout fails there); rename it"
        )
    if not path.is_file():
        return AssetCheck(None, f"{media_url!r} does not exist: add {display_path(path)} or fix the path")
    try:
        real = path.resolve(strict=True)
        inside = real.is_relative_to(assets_dir.resolve(strict=True))
        head = read_head(real) if inside else b""
    except (OSError, RuntimeError) as exc:  # a symlink loop, or no permission
        return AssetCheck(None, f"{media_url!r} cannot be read ({getattr(exc, 'strerror', None) or exc}); fix the file")
    if not inside:
        return AssetCheck(
            None,
            f"{media_url!r} is a symbolic link (or lies in a linked folder) that leads to {real}, outside "
            "data/assets/; a module may only use files kept in data/assets/ itself: copy the file there instead",
        )
    # Both names: a link inside data/assets/ is opened under its own name but copied under its target's.
    problem = media_problem(path.name, head) or media_problem(real.name, head)
    if problem is not None:
        return AssetCheck(None, f"{media_url!r}: {problem}")
    return AssetCheck(real)


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
