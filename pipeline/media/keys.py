"""Object keys and headers: originals under `sha256/<aa>/<bb>/<hex>.<ext>`, their variants beside them.

A key is a function of content (and, for a variant, of the recipe that made it), so an object is never
overwritten: the same key always holds the same bytes. Module files refer to an original as `/media/<key>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MEDIA_URL_PREFIX = "/media/"
# Bump when the variant recipe (widths, formats, quality) changes: new variants get new keys, old ones stay valid.
RECIPE = "v1"
CACHE_CONTROL = "public, max-age=31536000, immutable"
_ORIGINAL = re.compile(r"^sha256/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})\.([a-z0-9]{1,5})$")
_DERIVED = re.compile(r"^sha256/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})/[a-z0-9]+/[a-z0-9.-]+$")
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "pdf": "application/pdf",
    "json": "application/json",
}
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "application/pdf": "pdf",
}
# Files a browser should save rather than show (a PDF opened inline is a document viewer on the student origin).
DOWNLOADABLE = frozenset({"application/pdf"})


def original_key(sha256: str, content_type: str) -> str:
    """`sha256/ab/cd/<hex>.<ext>`: where the original with this digest and type is stored."""
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}.{EXTENSIONS[content_type]}"


def derived_key(sha256: str, name: str) -> str:
    """A variant, poster or record of an original: `sha256/ab/cd/<hex>/<recipe>/<name>` (e.g. `w640.webp`)."""
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}/{RECIPE}/{name}"


def digest_of_key(key: str) -> str | None:
    """The original's hex digest a key belongs to (an original or one of its derived objects), or None."""
    match = _ORIGINAL.match(key) or _DERIVED.match(key)
    return match.group(3) if match else None


def is_original_key(key: str) -> bool:
    return _ORIGINAL.match(key) is not None


def key_of_media_url(url: str) -> str | None:
    """`/media/sha256/…` (how a module file refers to a stored original) -> its key; None for other URLs."""
    if not url.startswith(MEDIA_URL_PREFIX):
        return None
    key = url[len(MEDIA_URL_PREFIX) :]
    return key if is_original_key(key) else None


def media_url_of_key(key: str) -> str:
    return MEDIA_URL_PREFIX + key


def is_media_url(url: object) -> bool:
    """True for a `/media/…` reference (well-formed or not: validate names the malformed ones)."""
    return isinstance(url, str) and url.startswith(MEDIA_URL_PREFIX)


def content_type_of_key(key: str) -> str:
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")


@dataclass(frozen=True)
class ObjectHeaders:
    """What every stored object is served with (the CDN passes them on)."""

    content_type: str
    cache_control: str = CACHE_CONTROL
    content_disposition: str | None = None

    def as_http(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type, "Cache-Control": self.cache_control}
        headers["X-Content-Type-Options"] = "nosniff"
        if self.content_disposition:
            headers["Content-Disposition"] = self.content_disposition
        return headers


def headers_for(key: str, download_name: str | None = None) -> ObjectHeaders:
    """The headers of the object at `key`: its type from its extension, immutable caching, attachment for PDFs."""
    content_type = content_type_of_key(key)
    disposition = None
    if content_type in DOWNLOADABLE:
        name = re.sub(r"[^A-Za-z0-9._-]", "_", download_name or key.rsplit("/", 1)[-1])[:100]
        disposition = f'attachment; filename="{name}"'
    return ObjectHeaders(content_type, CACHE_CONTROL, disposition)
