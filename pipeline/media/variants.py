"""Responsive variants of a picture: widths 320…1920 (never wider than the original), AVIF, WebP and a JPEG or PNG
fallback (PNG where the picture has transparency), and a tiny placeholder.

Memory is bounded, whatever the file: a picture of more than MAX_PIXELS is refused before it is decoded (a
decompression bomb declares a huge size in a small file). A JPEG is decoded in draft mode at the smallest DCT
scale (1/2, 1/4, 1/8) still at least as large as the widest variant, so a 50-megapixel photo (8660 x 5773) is
decoded at 2165 x 1444, about 9 MB, not 150 MB. Other formats are decoded whole (at most MAX_PIXELS x 4 bytes,
200 MB) and `reduce`d by a whole factor at once, so the full-size copy is freed before the variants are made.
docs/media.md states these bounds.
"""

from __future__ import annotations

import base64
import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from pipeline.errors import PipelineError
from pipeline.media.keys import derived_key

WIDTHS = (320, 640, 960, 1280, 1920)
MAX_PIXELS = 50_000_000
PLACEHOLDER_WIDTH = 16
# The formats made for every width, best first; the last one is the fallback every browser shows.
_ENCODERS: dict[str, tuple[str, dict[str, object]]] = {
    "image/avif": ("AVIF", {"quality": 55, "speed": 8}),
    "image/webp": ("WEBP", {"quality": 78, "method": 4}),
    "image/jpeg": ("JPEG", {"quality": 82, "progressive": True, "optimize": True}),
    "image/png": ("PNG", {"compress_level": 6}),
}
_EXTENSION = {"image/avif": "avif", "image/webp": "webp", "image/jpeg": "jpg", "image/png": "png"}
# Pictures made into variants; a GIF keeps its animation by being served as it is.
VARIANT_SOURCES = frozenset({"image/png", "image/jpeg", "image/webp"})


class PictureRefused(PipelineError):
    """A picture that cannot be made into variants safely: too many pixels, or not decodable."""


@dataclass(frozen=True)
class Variant:
    """One encoded variant, ready to store under `key`."""

    key: str
    width: int
    height: int
    content_type: str
    data: bytes


@dataclass(frozen=True)
class PictureVariants:
    """What one original picture became: its size as shown (EXIF orientation applied), its variants and placeholder."""

    width: int
    height: int
    has_alpha: bool
    variants: tuple[Variant, ...]
    placeholder: str  # a data: URL, a blurred 16-pixel-wide WebP (a few hundred bytes)


def picture_size(data: bytes) -> tuple[int, int]:
    """(width, height) as shown, read from the header alone; PictureRefused for a bomb or an unreadable file."""
    with _open(data) as image:
        return _shown_size(image)


def variant_widths(width: int) -> tuple[int, ...]:
    """The widths made for a picture `width` pixels wide: the standard ones below it, and its own up to 1920."""
    below = [w for w in WIDTHS if w < width]
    return (*below, width) if width <= WIDTHS[-1] else WIDTHS


def make_variants(sha256: str, data: bytes, content_type: str) -> PictureVariants:
    """Every variant of the picture `data` (whose digest is `sha256`), decoded once within the memory bound."""
    with _open(data) as image:
        width, height = _shown_size(image)
        widths = variant_widths(width)
        if image.format == "JPEG":
            # Ask for the widest variant in the stored orientation: draft picks the smallest scale at least as big.
            rotated = (width, height) != image.size
            wide = widths[-1]
            tall = math.ceil(wide * height / width)
            image.draft("RGB", (tall, wide) if rotated else (wide, tall))
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        try:
            picture = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError) as exc:
            raise PictureRefused(f"the picture cannot be decoded ({exc}); save it again as PNG or JPEG") from None
    picture = picture.convert("RGBA" if has_alpha else "RGB")
    factor = picture.width // (2 * widths[-1])
    if factor >= 2:
        picture = picture.reduce(factor)  # a box filter by a whole factor; the full-size copy is freed here
    fallback = "image/png" if has_alpha else "image/jpeg"
    made = []
    for target in widths:
        resized = picture if target == picture.width else _resize(picture, target, height * target / width)
        for wanted in ("image/avif", "image/webp", fallback):
            name = f"w{target}.{_EXTENSION[wanted]}"
            made.append(Variant(derived_key(sha256, name), target, resized.height, wanted, _encode(resized, wanted)))
    return PictureVariants(width, height, has_alpha, tuple(made), _placeholder(picture))


def _resize(picture: Image.Image, width: int, height: float) -> Image.Image:
    return picture.resize((width, max(1, round(height))), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(picture: Image.Image, content_type: str) -> bytes:
    format_name, options = _ENCODERS[content_type]
    out = io.BytesIO()
    picture.save(out, format_name, **options)
    return out.getvalue()


def _placeholder(picture: Image.Image) -> str:
    tiny = _resize(picture, PLACEHOLDER_WIDTH, picture.height * PLACEHOLDER_WIDTH / picture.width)
    out = io.BytesIO()
    tiny.save(out, "WEBP", quality=40)
    return "data:image/webp;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _shown_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    orientation = image.getexif().get(0x0112)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


class _open:
    """Image.open with the pixel limit checked from the header, before anything is decoded."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.image: Image.Image | None = None

    def __enter__(self) -> Image.Image:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                self.image = Image.open(io.BytesIO(self.data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PictureRefused(_too_many_pixels(None)) from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise PictureRefused(f"the picture cannot be read ({exc}); save it again as PNG or JPEG") from None
        pixels = self.image.width * self.image.height
        if pixels > MAX_PIXELS:
            self.image.close()
            raise PictureRefused(_too_many_pixels(self.image.size))
        return self.image

    def __exit__(self, *exc: object) -> None:
        if self.image is not None:
            self.image.close()


def _too_many_pixels(size: tuple[int, int] | None) -> str:
    said = f"{size[0]} x {size[1]} pixels ({size[0] * size[1] / 1e6:.0f} megapixels)" if size else "too many pixels"
    return (
        f"the picture is {said}; the limit is {MAX_PIXELS // 1_000_000} megapixels: "
        "scale it down (a screen shows at most 1920 pixels across) and upload it again"
    )
