"""In a real headless Chromium the sample previews load without errors and every hotspot sits on its image."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from pipeline.preview.build import build_preview, render_module_page
from pipeline.settings import Settings
from tests.paths import REPO_ROOT, SAMPLE_MODULES
from tests.preview.conftest import hostile_module

pytestmark = pytest.mark.browser

# One folder per xdist worker: each worker builds the module-scoped site, and one worker's rmtree must not pull
# it from under another worker's browser.
OUTPUT = REPO_ROOT / "test-output" / "preview" / os.environ.get("PYTEST_XDIST_WORKER", "")
SAMPLES = sorted(p.stem for p in SAMPLE_MODULES.glob("*.json"))


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


@pytest.fixture(scope="module")
def sample_site() -> Path:
    """The preview of data/modules, kept under test-output/preview/site for a look after the run."""
    site = OUTPUT / "site"
    shutil.rmtree(site, ignore_errors=True)
    build_preview([SAMPLE_MODULES], site, Settings.from_env({}))
    (OUTPUT / "hostile").mkdir(parents=True, exist_ok=True)
    (OUTPUT / "hostile" / "index.html").write_text(render_module_page(hostile_module()), encoding="utf-8")
    return site


def _open(browser, url: str, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("dialog", lambda d: problems.append(f"dialog: {d.message}"))
    page.goto(url, wait_until="load")
    return page, problems


def _inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


@pytest.mark.parametrize("width", [1100, 390], ids=["desktop", "phone"])
@pytest.mark.parametrize("module_id", SAMPLES)
def test_sample_preview_loads_cleanly_with_hotspots_on_their_image(browser, sample_site, module_id, width):
    # given the preview of a sample module, opened from file:// as a downloaded artifact would be
    page, problems = _open(browser, (sample_site / "modules" / f"{module_id}.html").as_uri(), width)
    try:
        # then every image loaded, nothing complained, and the page fits the screen without sideways scrolling
        images = page.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('src'), e.naturalWidth])")
        assert images and all(natural > 0 for _, natural in images), images
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # and every hotspot marker sits inside its image, at its x/y scaled to the image's drawn size
        doc = json.loads((SAMPLE_MODULES / f"{module_id}.json").read_text())
        expected = sum(len(s["content"]["hotspots"]) for s in doc["sections"] if s["section_type"] == "interactive")
        checked = 0
        for figure in page.query_selector_all(".hotspot-image"):
            image_box = figure.query_selector("img").bounding_box()
            natural_width = int(figure.get_attribute("data-width"))
            natural_height = int(figure.get_attribute("data-height"))
            for marker in figure.query_selector_all(".hotspot"):
                box = marker.bounding_box()
                assert _inside(box, image_box), (marker.get_attribute("data-hotspot-id"), box, image_box)
                x = image_box["x"] + int(marker.get_attribute("data-x")) / natural_width * image_box["width"]
                y = image_box["y"] + int(marker.get_attribute("data-y")) / natural_height * image_box["height"]
                assert abs(box["x"] + box["width"] / 2 - x) < 1 and abs(box["y"] + box["height"] / 2 - y) < 1
                checked += 1
        assert checked == expected
        suffix = "" if width > 600 else "-phone"
        page.screenshot(path=str(OUTPUT / f"{module_id}{suffix}.png"), full_page=True)
        assert problems == []
    finally:
        page.close()


def test_index_and_hostile_page_run_nothing(browser, sample_site):
    page, problems = _open(browser, (sample_site / "index.html").as_uri(), 390)
    assert len(page.query_selector_all(".modules li")) == len(SAMPLES)
    page.screenshot(path=str(OUTPUT / "index-phone.png"), full_page=True)
    page.close()
    page, hostile_problems = _open(browser, (OUTPUT / "hostile" / "index.html").as_uri(), 1100)
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("getComputedStyle(document.body).display") == "block"  # no injected stylesheet hid it
    page.close()
    assert problems == [] and hostile_problems == []
