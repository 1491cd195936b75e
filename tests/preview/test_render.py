"""A reviewer sees every section type drawn as students will see it, and hostile content only as text."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.module.diff import diff_modules
from pipeline.preview.build import render_index, render_markdown, render_module_page
from pipeline.preview.html import Comparison, IndexEntry, PreviewAsset
from tests.preview.conftest import HOSTILE_MARKDOWN, HOSTILE_TEXT, hostile_module, load_sample
from tests.preview.html_scan import assert_inert, scan

BENCH = {"/assets/equipment-tour/bench.png": PreviewAsset("../assets/equipment-tour/bench.png", (900, 450))}


def _section(page, section_id):
    [section] = page.find("section", id=f"s-{section_id}")
    return section


def test_page_shows_title_metadata_and_learning_objectives():
    doc = load_sample("equipment-tour")
    page = assert_inert(render_module_page(doc, BENCH, module_hrefs={"lab-safety-101": "lab-safety-101.html"}))
    assert [h.text for h in page.find("h1")] == ["Equipment Tour"]
    assert doc["description"] in page.text
    for objective in doc["learning_objectives"]:
        assert objective in page.text
    assert [a.text for a in page.find("a", href="lab-safety-101.html")] == ["lab-safety-101"]  # prerequisite link
    assert "faculty-maria-lopez / staff-lab-manager" in page.text


def test_every_section_type_is_rendered_by_its_type():
    # given the sample that has one section of each type, plus a video file kept in data/assets
    doc = load_sample("equipment-tour")
    doc["sections"][2]["media_url"] = "/assets/equipment-tour/clip.mp4"
    assets = {**BENCH, "/assets/equipment-tour/clip.mp4": PreviewAsset("../assets/equipment-tour/clip.mp4")}
    # when it is rendered
    page = assert_inert(render_module_page(doc, assets))
    # then each section shows its content the way its type says
    types = [s.attrs["data-section-type"] for s in page.find("section")]
    assert types == ["image", "text", "video", "interactive", "quiz"]
    assert [img.attrs["src"] for img in page.find("img")] == ["../assets/equipment-tour/bench.png"] * 2
    assert "oscilloscope" in _section(page, "bench-overview").text  # the caption, from Markdown
    assert page.find("strong") and page.find("s") and page.find("code")  # bold, ~~strike~~, `code` in the text
    assert [v.attrs["src"] for v in page.find("video")] == ["../assets/equipment-tour/clip.mp4"]
    hotspots = page.find("span", class_="hotspot")
    assert [h.attrs["data-hotspot-id"] for h in hotspots] == [
        "oscilloscope",
        "output-switch",
        "iron-holder",
        "parts-shelf",
    ]
    assert hotspots[0].attrs["style"] == "left:22.778%;top:50.000%"  # (205, 225) on a 900x450 image
    assert "Soldering Iron Holder" in page.find("span", class_="hotspot-label")[2].text
    correct = page.find("li", class_="correct")
    assert [c.text.replace("✓ correct answer", "") for c in correct] == [
        "Before connecting the circuit",
        "In its holder",
    ]
    assert "Pass mark: 100%" in _section(page, "bench-quiz").text


def test_external_video_is_a_link_not_an_embed():
    page = assert_inert(render_module_page(load_sample("equipment-tour"), BENCH))
    video = _section(page, "oscilloscope-basics")
    assert not page.find("video")
    assert "not loaded in the preview" in video.text
    assert page.find("a", href="https://media.frames-lms.org/videos/oscilloscope-basics.mp4")


def test_markdown_tables_headings_and_asset_images():
    text = "# Top\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n![plan](/assets/x/plan.png)\n\n![gone](/assets/x/no.png)"
    html = render_markdown(text, {"/assets/x/plan.png": PreviewAsset("../assets/x/plan.png", (10, 10))})
    page = scan(html)
    assert [h.text for h in page.find("h3")] == ["Top"]  # section headings sit under the page's h1/h2
    assert len(page.find("td")) == 2
    assert [(i.attrs["src"], i.attrs["alt"]) for i in page.find("img")] == [("../assets/x/plan.png", "plan")]
    assert "[image: gone — /assets/x/no.png (missing file)]" in page.text


def test_hostile_content_renders_as_text_not_markup():
    # given a module whose every field tries to inject markup, script, handlers and javascript: links
    doc = hostile_module()
    # when it is rendered (with a change view, so removed/changed sections are drawn too)
    old = copy.deepcopy(doc)
    old["sections"].append(
        {**old["sections"][1], "section_id": "gone", "title": HOSTILE_TEXT, "content": HOSTILE_MARKDOWN}
    )
    old["sections"][1]["content"] = HOSTILE_TEXT
    html = render_module_page(
        doc,
        BENCH,
        comparison=Comparison(HOSTILE_TEXT, diff_modules(old, doc), old),
        module_hrefs={HOSTILE_TEXT: "x.html"},
        source=HOSTILE_TEXT,
    )
    # then nothing in it can run, and the hostile text is shown to the reviewer as text
    page = assert_inert(html)
    assert page.text.count(HOSTILE_TEXT) > 20
    assert [h.text for h in page.find("h1")] == [HOSTILE_TEXT]
    assert "[plain](javascript:alert(1))" in page.text
    assert "<script>alert(1)</script>" in page.text
    assert not [
        a
        for a in page.find("a")
        if "alert" in (a.attrs.get("href") or "") and not a.attrs["href"].startswith(("https://example.org/", "#s-"))
    ]


def test_hostile_index_renders_as_text():
    doc = hostile_module()
    entry = IndexEntry(
        HOSTILE_TEXT,
        HOSTILE_TEXT,
        HOSTILE_TEXT,
        "modules/x.html",
        (HOSTILE_TEXT,),
        Comparison(HOSTILE_TEXT, diff_modules(None, doc)),
        description=HOSTILE_TEXT,
    )
    broken = IndexEntry(HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT, None, error=HOSTILE_TEXT)
    page = assert_inert(render_index([entry, broken], HOSTILE_TEXT))
    assert page.text.count(HOSTILE_TEXT) >= 6


def test_content_of_the_wrong_shape_is_shown_as_stored_not_dropped():
    doc = load_sample("equipment-tour")
    doc["sections"][3]["content"] = ["not", "an", "object"]
    doc["sections"][4]["content"] = {"questions": [{"prompt": "p", "choices": ["a", "b"], "correct_choice": 7}]}
    doc["sections"].append("not a section")
    page = assert_inert(render_module_page(doc, BENCH))
    assert '"object"' in _section(page, "find-the-tools").text
    assert "correct_choice 7 names no choice" in page.text
    assert '"not a section"' in page.text


# Pieces of every trick in the hostile fixtures, shuffled together, plus any characters at all.
_PIECES = [
    "<script>",
    "</script>",
    "</style>",
    "<img src=x",
    " onerror=alert(1)",
    ">",
    "javascript:",
    "JaVa\tScRiPt:",
    "&#106;",
    "[a](",
    "![i](",
    ")",
    "<",
    '"',
    "'",
    "\n\n",
    "`",
    "\\",
    "|",
    "# ",
    "x",
]


@settings(max_examples=150, deadline=None)
@given(text=st.lists(st.sampled_from(_PIECES) | st.text(max_size=3), max_size=12).map("".join))
def test_any_text_anywhere_stays_inert(text):
    doc = load_sample("equipment-tour")
    doc["title"] = text
    doc["sections"][1]["content"] = text
    doc["sections"][4]["content"]["questions"][0]["choices"][0] = text
    doc["sections"][3]["content"]["hotspots"][0]["label"] = text
    assert_inert(render_module_page(doc, BENCH))
