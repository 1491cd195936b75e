"""A Module ID changed in Notion: refused with a comment while the old module is in the library (on main)."""

from __future__ import annotations

from pipeline.export import export_pages
from tests.notion.pages import add_module_page


def test_a_changed_module_id_is_refused_while_the_old_module_is_in_the_library(notion_fake, library):
    # given a page exported as old-name (its file is in the checkout of main)
    page = add_module_page(notion_fake, library.data_source_id, "old-name")
    assert export_pages(library.settings).ok
    old_file = library.settings.modules_dir / "old-name.json"
    before = old_file.read_bytes()

    # when the team lead changes its Module ID to new-name and the export runs
    notion_fake.advance(minutes=5)
    notion_fake.set_property(page, "Module ID", "new-name")
    report = export_pages(library.settings)

    # then the page fails with a reason in the team lead's terms, no second module appears, the old one is kept
    [result] = report.pages
    assert result.outcome == "failed"
    [problem] = result.problems
    assert "Module ID was changed from 'old-name' to 'new-name'" in problem
    assert "set Module ID back to 'old-name'" in problem
    assert not (library.settings.modules_dir / "new-name.json").exists()
    assert old_file.read_bytes() == before
    # and the page carries a comment that says so
    [comment] = notion_fake.comments[page]
    assert "set Module ID back to 'old-name'" in comment["rich_text"][0]["plain_text"]


def test_a_module_id_changed_back_exports_as_before(notion_fake, library):
    page = add_module_page(notion_fake, library.data_source_id, "old-name")
    export_pages(library.settings)
    notion_fake.advance(minutes=5)
    notion_fake.set_property(page, "Module ID", "new-name")
    export_pages(library.settings)

    notion_fake.advance(minutes=5)
    notion_fake.set_property(page, "Module ID", "old-name")
    report = export_pages(library.settings)

    assert report.ok and [p.outcome for p in report.pages] == ["unchanged"]
