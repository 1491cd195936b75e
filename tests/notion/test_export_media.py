"""Export downloads only the media types validate accepts (pipeline/module/media.py): it never writes a refused file."""

from __future__ import annotations

import pytest

from pipeline.export import export_pages
from pipeline.validate.rules import validate_paths
from tests.fakes import notion_blocks as b
from tests.notion.pages import PNG, add_module_page, module_body

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(SVG, "image/svg+xml"), (b"<html><script>alert(1)</script></html>", "text/html"), (SVG, "image/png")],
)
def test_a_file_validate_would_refuse_fails_its_page_and_is_not_written(
    notion_fake, library, content: bytes, content_type: str
) -> None:
    add_module_page(
        notion_fake,
        library.data_source_id,
        "scripted-media",
        blocks=module_body("media", extra=[b.hosted_file("image", content, "a.svg", content_type)]),
    )

    report = export_pages(library.settings)

    assert not report.ok
    assert not (library.settings.resolved_assets_dir / "scripted-media").exists()
    assert not (library.settings.modules_dir / "scripted-media.json").exists()


def test_what_export_writes_validate_accepts(notion_fake, library) -> None:
    add_module_page(
        notion_fake,
        library.data_source_id,
        "with-picture",
        blocks=module_body("media", extra=[b.hosted_file("image", PNG, "p.png", "image/png; charset=binary")]),
    )

    report = export_pages(library.settings)

    assert report.ok, report.pages
    written = library.settings.modules_dir / "with-picture.json"
    assert validate_paths([written], library.settings).ok
