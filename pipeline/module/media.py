"""Which files may be module media: a closed list of types, each recognised by its content, not only its name.

A file a browser would run (SVG and HTML carry script; an unzipped preview artifact opens them from disk) is
refused, whatever it is called: SVG is not sanitised but refused (a sanitiser is one more parser to get
right; a PNG of the drawing does the same job). docs/module-format.md lists the types and says why.
Export (pipeline/notion/assets.py) downloads only these types, so it never writes a file validate refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

MediaType = Literal["image/png", "image/jpeg", "image/gif", "image/webp", "video/mp4", "video/webm", "application/pdf"]
# How many leading bytes the content checks read.
HEAD_BYTES = 16


@dataclass(frozen=True)
class Media:
    """One allowed media type: its name for people, its file extensions and the test of its first bytes."""

    content_type: MediaType
    label: str
    extensions: tuple[str, ...]  # the first is the one export gives downloaded files
    looks_like: Callable[[bytes], bool]


MEDIA_TYPES: tuple[Media, ...] = (
    Media("image/png", "PNG", (".png",), lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    Media("image/jpeg", "JPEG", (".jpg", ".jpeg"), lambda b: b.startswith(b"\xff\xd8\xff")),
    Media("image/gif", "GIF", (".gif",), lambda b: b[:6] in (b"GIF87a", b"GIF89a")),
    Media("image/webp", "WebP", (".webp",), lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    Media("video/mp4", "MP4", (".mp4", ".m4v"), lambda b: b[4:8] == b"ftyp"),
    Media("video/webm", "WebM", (".webm",), lambda b: b.startswith(b"\x1a\x45\xdf\xa3")),
    Media("application/pdf", "PDF", (".pdf",), lambda b: b.startswith(b"%PDF-")),
)
ALLOWED_LABELS = ", ".join(m.label for m in MEDIA_TYPES)
# Extensions people try that are refused on purpose, and why (the rest are refused as unknown).
_REFUSED_WHY = {
    ".svg": "SVG can carry script that runs when the file is opened",
    ".svgz": "SVG can carry script that runs when the file is opened",
    ".html": "an HTML page runs script when opened",
    ".htm": "an HTML page runs script when opened",
    ".xhtml": "an HTML page runs script when opened",
    ".xml": "XML can be an SVG or HTML page that runs script",
}
# Device names Windows reserves in any folder, with any extension: a checkout of con.json or aux.png fails there.
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)


def is_windows_reserved(name: str) -> bool:
    """True for con, NUL.txt, com1.json, Lpt9.tar.gz …: the part before the first dot is a reserved device."""
    return name.split(".", 1)[0].rstrip(" ").lower() in WINDOWS_RESERVED


def media_for_content_type(content_type: str) -> Media | None:
    """The allowed type a server's Content-Type names (parameters such as ; charset ignored), or None."""
    wanted = content_type.split(";", 1)[0].strip().lower()
    return next((m for m in MEDIA_TYPES if m.content_type == wanted), None)


def media_for_name(name: str) -> Media | None:
    """The allowed type a file name's extension names (case-insensitive), or None."""
    suffix = Path(name).suffix.lower()
    return next((m for m in MEDIA_TYPES if suffix in m.extensions), None)


def media_problem(name: str, head: bytes) -> str | None:
    """Why a file called `name` starting with `head` may not be module media, or None when it may."""
    suffix = Path(name).suffix.lower()
    media = media_for_name(name)
    if media is None:
        why = _REFUSED_WHY.get(suffix, f"{suffix or 'a file without an extension'} is not a media type modules use")
        return f"{why}; media must be one of {ALLOWED_LABELS} (convert it, e.g. SVG to PNG)"
    if not media.looks_like(head):
        return (
            f"the file is named {suffix} but its content is not {media.label}; "
            "save it again in that format, or give it the extension of what it is"
        )
    return None


def read_head(path: Path) -> bytes:
    """The first HEAD_BYTES bytes of a file (fewer when it is shorter)."""
    with path.open("rb") as handle:
        return handle.read(HEAD_BYTES)
