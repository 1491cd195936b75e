"""Render the HTML mocks in this folder to the PNG pictures docs/ show (headless Chromium through playwright)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"  # Debian's; playwright's own browser downloads are not used


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 816, "height": 600}, device_scale_factor=1)
        for mock in sorted(HERE.glob("*.html")):
            page.goto(mock.as_uri())
            target = HERE.parent / f"{mock.stem}.png"
            page.locator("main").screenshot(path=str(target))
            print(f"{target.relative_to(HERE.parents[2])}: {target.stat().st_size} bytes")
        browser.close()


if __name__ == "__main__":
    main()
