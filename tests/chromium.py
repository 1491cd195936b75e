"""Headless Chromium for the browser tests (Debian's /usr/bin/chromium, driven by playwright): one per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# No network, no first-run chores: the pages under test must work offline.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium() -> Iterator[Any]:
    """The browser, or a skip saying how to install what is missing. Playwright's sync API allows one driver per
    process, so every browser test shares this one (the `chromium` fixture)."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"headless Chromium is not installed ({CHROMIUM}); `python3 dev.py test` installs it on Debian "
            "as root, or run: apt-get install chromium"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()
