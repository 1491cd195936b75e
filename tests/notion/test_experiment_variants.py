"""A Notion page with a "Variant:" toggle and the Experiment columns exports to the demo module file; a page
that gets the convention wrong hears what to fix, in its own words."""

from __future__ import annotations

import json

from pipeline.export import export_pages
from pipeline.module.canonical import content_hash
from tests.experiments.conftest import DEMO
from tests.experiments.notion_page import add_demo_page
from tests.fakes import notion_blocks as b
from tests.notion.pages import add_module_page, module_body


def test_a_page_with_a_variant_toggle_exports_to_the_demo_file(notion_fake, library):
    add_demo_page(notion_fake, library.data_source_id)

    report = export_pages(library.settings)

    assert report.ok, report.lines()
    exported = json.loads((library.settings.modules_dir / "ppe-basics.json").read_text(encoding="utf-8"))
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    assert {k: v for k, v in exported.items() if k != "metadata"} == {k: v for k, v in demo.items() if k != "metadata"}
    assert content_hash(exported) == content_hash(demo)


def test_a_variant_without_an_experiment_id_is_refused_on_the_page(notion_fake, library):
    add_demo_page(notion_fake, library.data_source_id, Experiment="")

    report = export_pages(library.settings)

    assert not report.ok
    (comment,) = notion_fake.comments.values()
    words = json.dumps(comment, ensure_ascii=False)
    assert "section 'Choosing your PPE'" in words and "the Experiment column is empty" in words


def test_variant_weights_that_leave_the_original_nothing_are_named(notion_fake, library):
    blocks = module_body("soldering", extra=[b.toggle("Variant: Slides (120%)", [b.paragraph("Slides here")])])
    add_module_page(notion_fake, library.data_source_id, "soldering-basics", blocks=blocks, Experiment="slides-test")

    report = export_pages(library.settings)

    assert not report.ok
    words = " ".join(report.lines())
    assert "weights add up to 120%, more than 100%" in words
    assert "/experiments" not in " ".join(str(c) for c in notion_fake.comments.values())  # the page's words only
