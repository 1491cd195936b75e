"""A page that cannot be exported, and Notion misbehaving mid-export: the others go on, files stay whole."""

from __future__ import annotations

import dataclasses

from pipeline.export import export_pages
from pipeline.validate.rules import validate_paths
from tests.fakes import notion_blocks as b
from tests.notion.pages import PNG, add_module_page, module_body


def module_files(library) -> set[str]:
    return {p.name for p in library.settings.modules_dir.iterdir()}


def assert_only_whole_files(library) -> None:
    names = module_files(library)
    assert not [n for n in names if not n.endswith(".json")], "a temporary file was left behind"
    assert validate_paths([library.settings.modules_dir], library.settings).ok


def test_a_failing_page_is_reported_once_on_the_page_and_the_others_are_written(notion_fake, library):
    add_module_page(notion_fake, library.data_source_id, "good-one")
    bad = add_module_page(notion_fake, library.data_source_id, "bad-one", **{"Estimated Minutes": None})
    add_module_page(notion_fake, library.data_source_id, "good-two")

    first = export_pages(library.settings)
    second = export_pages(library.settings)

    assert not first.ok and not second.ok
    failed = [p for p in first.pages if p.outcome == "failed"]
    assert [p.page_id for p in failed] == [bad]
    assert "Estimated Minutes" in failed[0].problems[0]
    assert {"good-one.json", "good-two.json"} <= module_files(library)
    assert "bad-one.json" not in module_files(library)
    comments = notion_fake.comments[bad]
    assert len(comments) == 1, "the same problem must not be commented twice"
    assert "Estimated Minutes" in comments[0]["rich_text"][0]["plain_text"]
    assert "already on the page" in next(p for p in second.pages if p.page_id == bad).notice


def test_a_new_problem_on_the_same_page_gets_its_own_comment(notion_fake, library):
    bad = add_module_page(notion_fake, library.data_source_id, "bad-one", **{"Estimated Minutes": None})
    export_pages(library.settings)

    notion_fake.set_property(bad, "Estimated Minutes", 20)
    notion_fake.set_property(bad, "Description", None)
    export_pages(library.settings)

    assert len(notion_fake.comments[bad]) == 2


def test_an_unknown_block_type_fails_its_page_by_name(notion_fake, library):
    bad = add_module_page(
        notion_fake, library.data_source_id, "odd-blocks", blocks=module_body("x", extra=[b.unsupported("ai_block")])
    )

    report = export_pages(library.settings)

    assert report.pages[0].outcome == "failed"
    assert "'ai_block'" in report.pages[0].problems[0]
    assert len(notion_fake.comments[bad]) == 1


def test_missing_comment_capability_is_reported_not_fatal(notion_fake, library):
    add_module_page(notion_fake, library.data_source_id, "bad-one", **{"Estimated Minutes": None})
    add_module_page(notion_fake, library.data_source_id, "good-one")
    notion_fake.read_comments = notion_fake.insert_comments = False

    report = export_pages(library.settings)

    failed = next(p for p in report.pages if p.outcome == "failed")
    assert "Insert comments" in failed.notice
    assert "good-one.json" in module_files(library)


def test_with_insert_but_not_read_comments_the_team_lead_still_gets_the_comment(notion_fake, library):
    # given an integration that may insert comments but not read them (two separate capabilities in Notion)
    bad = add_module_page(notion_fake, library.data_source_id, "bad-one", **{"Estimated Minutes": None})
    notion_fake.read_comments = False

    report = export_pages(library.settings)

    # then the comment is on the page, and the report says how to stop it being repeated
    [failed] = report.pages
    assert len(notion_fake.comments[bad]) == 1
    assert "commented on the page" in failed.notice and "Read comments" in failed.notice


def test_with_read_but_not_insert_comments_the_report_names_the_insert_capability(notion_fake, library):
    add_module_page(notion_fake, library.data_source_id, "bad-one", **{"Estimated Minutes": None})
    notion_fake.insert_comments = False

    [failed] = export_pages(library.settings).pages

    assert "Insert comments" in failed.notice and "Read comments" not in failed.notice


def test_a_429_storm_mid_export_still_ends_with_every_file(notion_fake, library):
    for n in range(4):
        add_module_page(notion_fake, library.data_source_id, f"module-{n}")
    notion_fake.inject("status", status=429, count=3, route="blocks.children.list", after=3)

    report = export_pages(library.settings)

    assert report.ok and report.count("written") == 4
    assert notion_fake.count(status=429) == 3
    assert_only_whole_files(library)


def test_5xx_drops_and_timeouts_mid_export_are_retried(notion_fake, library):
    for n in range(3):
        add_module_page(notion_fake, library.data_source_id, f"module-{n}")
    notion_fake.inject("status", status=503, count=2, route="blocks.children.list", after=1)
    notion_fake.inject("status", status=502, count=1, route="blocks.children.list", after=3)
    notion_fake.inject("drop", count=1, route="blocks.children.list", after=5)
    notion_fake.inject("slow", seconds=1.0, count=1, route="blocks.children.list", after=7)
    settings = dataclasses.replace(library.settings, notion_timeout_seconds=0.5)

    report = export_pages(settings)

    assert report.ok and report.count("written") == 3
    assert_only_whole_files(library)


def test_a_lasting_outage_fails_the_pages_it_hits_cleanly_and_comments_nothing(notion_fake, library):
    pages = [add_module_page(notion_fake, library.data_source_id, f"module-{n}") for n in range(4)]
    notion_fake.inject("status", status=503, count=10_000, route="blocks.children.list", after=6)

    report = export_pages(library.settings)

    outcomes = [p.outcome for p in report.pages]
    assert "failed" in outcomes and "written" in outcomes
    for page in report.pages:
        if page.outcome == "failed":
            assert "service_unavailable" in page.problems[0] and "run the export again" in page.problems[0]
            assert f"{page.module_id}.json" not in module_files(library)
    assert not any(notion_fake.comments.get(p) for p in pages)
    assert_only_whole_files(library)


def test_a_download_outage_fails_the_page_without_blaming_the_team_lead(notion_fake, library):
    page = add_module_page(
        notion_fake,
        library.data_source_id,
        "with-image",
        blocks=module_body("images", extra=[b.hosted_file("image", PNG, "a.png", "image/png")]),
    )
    notion_fake.inject("drop", count=10, route="file")

    report = export_pages(library.settings)

    assert report.pages[0].outcome == "failed" and report.pages[0].transient
    assert "run the export again" in report.pages[0].problems[0]
    assert not notion_fake.comments.get(page)
    assert not (library.settings.resolved_assets_dir / "with-image").exists()
