"""Videos: whether an MP4 can start playing before it is fully downloaded (faststart), and a poster frame.

The faststart check reads the top-level MP4 boxes (no decoder needed): the `moov` index must come before the
`mdat` data. The poster and the size need PyAV, which is optional: without it, videos are stored as they are,
with one warning per process saying what is skipped.
"""

from __future__ import annotations

import importlib
import io
import logging
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_warned = False


@dataclass(frozen=True)
class VideoFacts:
    """What a video is, as far as it could be read."""

    width: int | None
    height: int | None
    faststart: bool | None  # None: not an MP4 (WebM streams as it is)
    poster: bytes | None  # a JPEG of the first frame, or None without PyAV


def mp4_faststart(path: Path) -> bool | None:
    """True when the MP4's `moov` box precedes `mdat`; False when it follows; None when it is not an MP4."""
    with path.open("rb") as handle:
        offset = 0
        while True:
            handle.seek(offset)
            header = handle.read(16)
            if len(header) < 8:
                return None
            size, kind = struct.unpack(">I4s", header[:8])
            if size == 1 and len(header) == 16:
                size = struct.unpack(">Q", header[8:16])[0]
            if kind == b"moov":
                return True
            if kind == b"mdat":
                return False
            if size < 8:
                return None
            offset += size


def _pyav() -> Any:
    global _warned
    try:
        return importlib.import_module("av")
    except ImportError:
        if not _warned:
            _warned = True
            log.warning("PyAV is not installed: videos are stored without a poster frame or size (pip install av)")
        return None


def inspect_video(path: Path, content_type: str) -> VideoFacts:
    """The video's size, faststart and first frame (as far as PyAV is there to read them)."""
    faststart = mp4_faststart(path) if content_type == "video/mp4" else None
    av = _pyav()
    if av is None:
        return VideoFacts(None, None, faststart, None)
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            frame = next(container.decode(stream), None)
            width, height = stream.codec_context.width, stream.codec_context.height
            if frame is None:
                return VideoFacts(width, height, faststart, None)
            picture = frame.to_image()
            picture.thumbnail((1920, 1920))
            out = io.BytesIO()
            picture.convert("RGB").save(out, "JPEG", quality=82, progressive=True)
            return VideoFacts(width, height, faststart, out.getvalue())
    except (av.error.FFmpegError, IndexError, StopIteration, OSError) as exc:
        log.warning("the video %s could not be decoded for a poster (%s): stored without one", path.name, exc)
        return VideoFacts(None, None, faststart, None)
