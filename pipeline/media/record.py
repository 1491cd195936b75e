"""What is known of one stored original: its type, size, variants, placeholder and poster (a `MediaRecord`).

The record is stored as the original's last object (`…/<hex>/v1/record.json`): present means the original and
all its variants are stored. Deploy copies records into the `media_objects` table (the manifest), from which the
runtime builds URLs and a later run knows, without asking the bucket, what is stored already.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.media.keys import derived_key


@dataclass(frozen=True)
class Rendition:
    """A variant as the manifest records it."""

    key: str
    width: int
    content_type: str


@dataclass(frozen=True)
class MediaRecord:
    """One stored original and what was made from it."""

    key: str
    sha256: str
    content_type: str
    bytes: int
    width: int | None = None
    height: int | None = None
    variants: tuple[Rendition, ...] = field(default_factory=tuple)
    placeholder: str | None = None
    poster: str | None = None  # key of the poster frame (videos)
    faststart: bool | None = None  # MP4 only: plays before it is fully downloaded

    @property
    def record_key(self) -> str:
        return derived_key(self.sha256, "record.json")

    def to_json(self) -> dict[str, Any]:
        value = asdict(self)
        value["variants"] = [asdict(v) for v in self.variants]
        return value

    def dumps(self) -> builtins.bytes:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> MediaRecord:
        variants = tuple(Rendition(v["key"], int(v["width"]), v["content_type"]) for v in value.get("variants") or [])
        return cls(
            key=value["key"],
            sha256=value["sha256"],
            content_type=value["content_type"],
            bytes=int(value["bytes"]),
            width=value.get("width"),
            height=value.get("height"),
            variants=variants,
            placeholder=value.get("placeholder"),
            poster=value.get("poster"),
            faststart=value.get("faststart"),
        )

    def reference(self, alt: str) -> dict[str, Any]:
        """The small reference a module file keeps for this asset (schema `$defs/media_reference`)."""
        return {
            "sha256": self.sha256,
            "type": self.content_type,
            "bytes": self.bytes,
            "width": self.width,
            "height": self.height,
            "alt": alt,
        }
