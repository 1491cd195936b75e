"""Export end to end: pages in the Notion fake -> module files, over the real notion-client and HTTP."""

from __future__ import annotations

import hashlib
import json

from pipeline.export import export_pages
from pipeline.media.keys import original_key
from pipeline.media.local import LocalStore
from pipeline.module.canonical import content_hash
from pipeline.module.document import load_module
from pipeline.validate.rules import validate_paths
from tests.fakes import notion_blocks as b
from tests.notion.pages import PNG, add_module_page, module_body


def read(library, module_id: str) -> dict:
    return json.loads((library.settings.modules_dir / f"{module_id}.json").read_text(encoding="utf-8"))


def test_ready_pages_become_valid_module_files(notion_fake, library):
    basics = add_module_page(
        notion_fake,
        library.data_source_id,
        "soldering-basics",
        blocks=module_body("soldering", extra=[b.hosted_file("image", PNG, "iron.png", "image/png")]),
    )
    add_module_page(notion_fake, library.data_source_id, "advanced-soldering", Prerequisites=[basics])
    add_module_page(notion_fake, library.data_source_id, "still-a-draft", Status="Draft")

    report = export_pages(library.settings)

    assert report.ok and report.count("written") == 2
    assert validate_paths([library.settings.modules_dir], library.settings).ok
    advanced = read(library, "advanced-soldering")
    assert advanced["prerequisites"] == ["soldering-basics"]
    assert advanced["created_by_id"] == "maria-lopez" and advanced["owner_id"] == "lab-manager"
    assert advanced["notion_page_id"] == report.pages[1].page_id.replace("-", "")
    assert advanced["metadata"]["revision"] == 1
    assert advanced["metadata"]["exported_by"] == "notion_sync_bot"
    assert advanced["metadata"]["content_hash"] == content_hash(advanced)
    basics_module = read(library, "soldering-basics")
    # the picture is stored under its content's hash, and Git gets the pointer, never the bytes
    key = original_key(hashlib.sha256(PNG).hexdigest(), "image/png")
    assert f"/media/{key}" in basics_module["sections"][-1]["content"]
    assert LocalStore(library.settings.media_dir).get(key) == PNG
    assert not library.settings.resolved_assets_dir.joinpath("soldering-basics").exists()
    assert not (library.settings.modules_dir / "still-a-draft.json").exists()


def test_second_export_changes_no_byte_and_reads_no_blocks(notion_fake, library):
    for module_id in ("one-module", "two-module", "three-module"):
        add_module_page(notion_fake, library.data_source_id, module_id)
    export_pages(library.settings)
    before = {p.name: p.read_bytes() for p in library.settings.modules_dir.iterdir()}
    notion_fake.clear_log()

    report = export_pages(library.settings)

    assert report.count("skipped") == 3
    assert {p.name: p.read_bytes() for p in library.settings.modules_dir.iterdir()} == before
    assert notion_fake.count("blocks.children.list") == 0
    # one look at the Status options (which of Retired/Archived exist), one query
    assert notion_fake.counters() == {"data_sources.retrieve": 1, "data_sources.query": 1}


def test_forced_reexport_of_unchanged_pages_is_byte_identical(notion_fake, library):
    add_module_page(notion_fake, library.data_source_id, "one-module")
    export_pages(library.settings)
    before = (library.settings.modules_dir / "one-module.json").read_bytes()

    report = export_pages(library.settings, all_pages=True)

    assert report.count("unchanged") == 1
    assert (library.settings.modules_dir / "one-module.json").read_bytes() == before


def test_editing_one_block_changes_only_that_module_and_bumps_its_revision(notion_fake, library):
    edited_page = add_module_page(notion_fake, library.data_source_id, "edited-module")
    add_module_page(notion_fake, library.data_source_id, "quiet-module")
    export_pages(library.settings)
    quiet_before = (library.settings.modules_dir / "quiet-module.json").read_bytes()
    first_revision = read(library, "edited-module")["metadata"]

    paragraph = notion_fake.page_blocks(edited_page)[4]
    notion_fake.edit_block(paragraph, "A sharper first paragraph.")
    report = export_pages(library.settings)

    assert {p.module_id: p.outcome for p in report.pages} == {"edited-module": "written", "quiet-module": "skipped"}
    module = read(library, "edited-module")
    assert module["sections"][0]["content"].startswith("A sharper first paragraph.")
    assert module["metadata"]["revision"] == first_revision["revision"] + 1
    assert module["metadata"]["exported_at"] >= first_revision["exported_at"]
    assert (library.settings.modules_dir / "quiet-module.json").read_bytes() == quiet_before


def test_single_page_export_reads_that_page_only(notion_fake, library):
    add_module_page(notion_fake, library.data_source_id, "not-this-one")
    wanted = add_module_page(notion_fake, library.data_source_id, "just-this-one", Status="Draft")

    report = export_pages(library.settings, page_id=wanted)

    assert [p.module_id for p in report.pages] == ["just-this-one"]
    assert notion_fake.count("data_sources.query") == 0
    assert not (library.settings.modules_dir / "not-this-one.json").exists()


def test_prerequisites_beyond_25_are_all_resolved(notion_fake, library):
    required = [add_module_page(notion_fake, library.data_source_id, f"step-{n}") for n in range(27)]
    add_module_page(notion_fake, library.data_source_id, "capstone", Prerequisites=required)

    report = export_pages(library.settings)

    assert report.ok
    assert read(library, "capstone")["prerequisites"] == [f"step-{n}" for n in range(27)]
    assert notion_fake.count("pages.properties.retrieve") == 1


def test_expired_file_url_is_renewed_from_the_block(notion_fake, library):
    add_module_page(
        notion_fake,
        library.data_source_id,
        "with-image",
        blocks=module_body("images", extra=[b.hosted_file("image", PNG, "a.png", "image/png")]),
    )
    notion_fake.issue_expired_urls(1)

    report = export_pages(library.settings)

    assert report.ok, report.pages
    assert notion_fake.count("file", status=403) == 1 and notion_fake.count("blocks.retrieve") == 1
    assert load_module(library.settings.modules_dir / "with-image.json")


def test_a_file_that_is_not_the_media_it_claims_fails_its_page(notion_fake, library):
    add_module_page(
        notion_fake,
        library.data_source_id,
        "fake-image",
        blocks=module_body("images", extra=[b.hosted_file("image", b"<html>hi</html>", "a.png", "image/png")]),
    )

    report = export_pages(library.settings)

    assert not report.ok
    assert "its content is not" in report.pages[0].problems[0]
    assert not (library.settings.resolved_assets_dir / "fake-image").exists()
