"""Variants a browser picks from: the widths, the formats, the placeholder, and the pictures that are refused."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from pipeline.media.ingest import MediaSource, store_sources
from pipeline.media.local import LocalStore
from pipeline.media.variants import MAX_PIXELS, PictureRefused, make_variants, variant_widths


def _picture(width: int, height: int, mode: str = "RGB", fmt: str = "PNG", **options: object) -> bytes:
    colour = (30, 120, 200, 128) if mode == "RGBA" else (30, 120, 200)
    out = io.BytesIO()
    Image.new(mode, (width, height), colour).save(out, fmt, **options)
    return out.getvalue()


def test_widths_never_exceed_the_original() -> None:
    assert variant_widths(500) == (320, 500)
    assert variant_widths(1280) == (320, 640, 960, 1280)
    assert variant_widths(6000) == (320, 640, 960, 1280, 1920)
    assert variant_widths(200) == (200,)


def test_a_photo_gets_avif_webp_and_jpeg_at_each_width_and_a_placeholder() -> None:
    photo = _picture(2400, 1600, fmt="JPEG", quality=90)

    made = make_variants("ab" * 32, photo, "image/jpeg")

    assert (made.width, made.height) == (2400, 1600)
    assert {(v.width, v.content_type) for v in made.variants} == {
        (w, t) for w in (320, 640, 960, 1280, 1920) for t in ("image/avif", "image/webp", "image/jpeg")
    }
    for variant in made.variants:
        decoded = Image.open(io.BytesIO(variant.data))
        assert decoded.width == variant.width and decoded.height == round(1600 * variant.width / 2400)
    assert made.placeholder.startswith("data:image/webp;base64,") and len(made.placeholder) < 1000


def test_a_picture_with_transparency_falls_back_to_png() -> None:
    made = make_variants("cd" * 32, _picture(700, 400, "RGBA"), "image/png")

    assert made.has_alpha
    assert {v.content_type for v in made.variants} == {"image/avif", "image/webp", "image/png"}
    fallback = next(v for v in made.variants if v.content_type == "image/png" and v.width == 700)
    assert Image.open(io.BytesIO(fallback.data)).mode == "RGBA"


def test_a_rotated_phone_photo_is_measured_as_shown() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    photo = _picture(1200, 800, fmt="JPEG", exif=exif.tobytes())

    made = make_variants("ef" * 32, photo, "image/jpeg")

    assert (made.width, made.height) == (800, 1200)


def _bomb(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` x `height` with almost no data: what a decompression bomb looks like."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    with pytest.raises(PictureRefused, match="megapixels"):
        make_variants("01" * 32, _bomb(40_000, 40_000), "image/png")
    assert MAX_PIXELS < 40_000 * 40_000


def test_a_refused_picture_is_named_and_its_neighbours_are_stored(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "media")
    bomb = MediaSource.of_bytes(_bomb(30_000, 30_000), "image/png", "huge.png")
    fine = MediaSource.of_bytes(_picture(400, 300), "image/png", "fine.png")

    run = store_sources(store, [bomb, fine])

    assert list(run.records) == [fine.key]
    assert "huge.png" in run.refused[bomb.key]
    assert store.get(fine.key) is not None and store.get(bomb.key) is None


def test_a_second_run_with_nothing_new_makes_no_request(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "media")
    sources = [MediaSource.of_bytes(_picture(300 + i, 200), "image/png", f"p{i}.png") for i in range(3)]
    first = store_sources(store, sources)
    store.requests = type(store.requests)()

    second = store_sources(store, sources, known=set(first.records))

    assert first.written == 3 * (1 + 3 + 1)  # the original, one width in three formats, the record
    assert second.known == 3 and store.requests.total == 0
