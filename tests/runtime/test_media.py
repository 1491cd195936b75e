"""Media as a student's client gets it: the API's `media` object, and the bytes behind every URL it names."""

from __future__ import annotations

import hashlib
import io
from urllib.parse import urljoin

from PIL import Image

from pipeline.settings import Settings
from tests.paths import SAMPLE_MODULES
from tests.runtime.live import LiveServer


def _section(module: dict, section_id: str) -> dict:
    return next(s for s in module["sections"] if s["section_id"] == section_id)


def test_a_student_fetches_the_floor_plan_and_its_variants_from_the_urls_the_api_gives(
    api: LiveServer, deployed: Settings
) -> None:
    # given the demo modules deployed on the local media store (no credentials), as `dev.py run` then `serve` do
    original = (SAMPLE_MODULES.parent / "assets" / "lab-safety-101" / "floor-plan.png").read_bytes()

    # when a student reads lab-safety-101
    with api.client("alice") as client:
        module = client.get("/api/v1/modules/lab-safety-101").json()
        media = next(s["media"] for s in module["sections"] if s.get("media"))

        # then the section's media names a content-addressed URL with its size, served with immutable caching
        assert media["type"] == "image/png"
        assert media["url"].startswith("/media/sha256/")
        assert hashlib.sha256(original).hexdigest() in media["url"]
        fetched = client.get(urljoin(api.base_url, media["url"]))
        assert fetched.status_code == 200
        assert fetched.content == original
        assert fetched.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert fetched.headers["Content-Type"] == "image/png"
        assert (media["width"], media["height"]) == Image.open(io.BytesIO(original)).size
        # and every variant is there, at the width and type the API says, never wider than the original
        assert {v["type"] for v in media["variants"]} == {
            "image/avif",
            "image/webp",
            "image/jpeg",
        }  # no transparency: JPEG fallback
        for variant in media["variants"]:
            answer = client.get(urljoin(api.base_url, variant["url"]))
            assert answer.status_code == 200, variant
            assert answer.headers["Content-Type"] == variant["type"]
            assert Image.open(io.BytesIO(answer.content)).width == variant["width"] <= media["width"]
        assert media["placeholder"].startswith("data:image/webp;base64,")
