"""What a team lead reads on a page after export: every problem at once, in Notion's terms, numbered from 1."""

from __future__ import annotations

import json
import re

from pipeline.export import export_pages
from pipeline.notion.feedback import NEXT_EXPORT
from tests.fakes import notion_blocks as b
from tests.fakes.notion_objects import rich_text
from tests.notion.pages import PNG, add_module_page, module_body

UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)
POINTER = re.compile(r"/(sections|tags|questions|hotspots|choices|content)\b|/\d+\b")
PATH = re.compile(r"\b(data|examples)/|\.json\b|docs/")

QUIZ = """\
questions:
  - question_id: current-limit
    prompt: What do you set before connecting a circuit?
    choices: [The voltage, The current limit]
    answer: 3
  - question_id: gloves
    prompt: Are gloves needed?
    choices: [Yes, No]
    answer: No
"""


def comment_of(notion_fake, page_id: str) -> str:
    comments = notion_fake.comments[page_id]
    assert len(comments) == 1, f"expected one comment, found {len(comments)}"
    return "".join(run["plain_text"] for run in comments[0]["rich_text"])


def assert_in_notion_terms(comment: str, page_id: str) -> None:
    assert not UUID.search(comment), f"a block or page id in: {comment}"
    assert page_id.replace("-", "") not in comment.replace("-", "")
    assert not POINTER.search(comment), f"a JSON pointer in: {comment}"
    assert not PATH.search(comment), f"a file path in: {comment}"


def quiz_section(title: str, source: str) -> list[dict]:
    return [b.heading(2, title), b.paragraph("Type: quiz"), b.code(source, "yaml")]


def test_an_empty_property_and_a_too_long_tag_are_both_reported_in_one_comment(notion_fake, library):
    # given a page with no Estimated Minutes, a 210-character title and a 60-character tag
    page = add_module_page(
        notion_fake,
        library.data_source_id,
        "two-problems",
        **{"Estimated Minutes": None, "Module Name": "T" * 210, "Tags": ["safety", "x" * 60]},
    )

    # when exported
    report = export_pages(library.settings)

    # then the one comment names each property as the team lead sees it, and the next step
    assert report.pages[0].outcome == "failed"
    comment = comment_of(notion_fake, page)
    assert "Estimated Minutes is empty" in comment
    assert "Module Name is 210 characters long; at most 200" in comment
    assert "Tags, tag 2 'xxxx" in comment and "is 60 characters long; at most 50" in comment
    assert NEXT_EXPORT in comment
    assert_in_notion_terms(comment, page)


def test_quiz_problems_name_the_section_by_heading_and_count_questions_and_choices_from_1(notion_fake, library):
    # given a quiz whose first answer is out of range and whose second question YAML read as true/false
    body = module_body("quiz", extra=quiz_section("Check yourself", QUIZ))
    page = add_module_page(notion_fake, library.data_source_id, "quiz-problems", blocks=body)

    export_pages(library.settings)

    comment = comment_of(notion_fake, page)
    assert "section #3 'Check yourself'" in comment
    assert "question 1, answer: answer 3 is not a choice: the choices are numbered 1 to 2" in comment
    assert "question 2, choice 1: YAML read an unquoted Yes, On or True as true; put the text in quotes" in comment
    assert "question 2, choice 2" in comment and "question 2, answer" in comment
    assert_in_notion_terms(comment, page)


def test_a_quiz_answer_given_by_text_or_number_becomes_the_file_s_correct_choice(notion_fake, library):
    quiz = """\
questions:
  - question_id: current-limit
    prompt: What do you set before connecting a circuit?
    choices: [The voltage, The current limit]
    answer: the current limit
  - question_id: gloves
    prompt: Are gloves needed?
    choices: ["Yes", "No"]
    answer: 1
"""
    add_module_page(
        notion_fake, library.data_source_id, "quiz-ok", blocks=module_body("q", extra=quiz_section("Quiz", quiz))
    )

    report = export_pages(library.settings)

    assert report.ok, report.pages[0].problems
    data = json.loads((library.settings.modules_dir / "quiz-ok.json").read_text())
    questions = data["sections"][2]["content"]["questions"]
    assert [q["correct_choice"] for q in questions] == [1, 0]
    assert all("answer" not in q for q in questions), "the file keeps its canonical form"


def test_a_problem_in_a_block_names_the_block_by_its_first_words(notion_fake, library):
    # given an unsafe link and an unknown block in section #2
    unsafe = {
        "type": "paragraph",
        "payload": {"rich_text": rich_text("Open the simulator here", link="javascript:alert(1)")},
        "children": [],
    }
    bad = add_module_page(
        notion_fake, library.data_source_id, "odd-link", blocks=module_body("y", extra=[unsafe, b.unsupported()])
    )

    export_pages(library.settings)

    comment = comment_of(notion_fake, bad)
    assert "section #2 'In practice', the block starting 'Open the simulator here'" in comment
    assert "kept as plain text" in comment
    assert "section #2 'In practice': block type 'ai_block' cannot be exported" in comment
    assert_in_notion_terms(comment, bad)


def test_a_warning_only_page_is_exported_and_told_what_was_left_out_once(notion_fake, library):
    # given content before the first section and a sub-page inside one
    body = [
        b.paragraph("Draft notes for the team, not for students"),
        *module_body("w", extra=[{"type": "child_page", "payload": {"title": "Extra reading"}, "children": []}]),
    ]
    page = add_module_page(notion_fake, library.data_source_id, "warned", blocks=body)

    first = export_pages(library.settings)
    export_pages(library.settings, all_pages=True)

    assert first.ok and first.pages[0].outcome == "written"
    comment = comment_of(notion_fake, page)  # once: the second export found the same set already there
    assert comment.startswith("This page was exported, but the export left out or changed the following:")
    assert "the block starting 'Draft notes for the team," in comment
    assert "the sub-page 'Extra reading' is not exported, only a link to it" in comment
    assert "section #2 'In practice'" in comment
    assert_in_notion_terms(comment, page)


def test_the_comment_links_the_guide_by_its_configured_url(notion_fake, library):
    page = add_module_page(notion_fake, library.data_source_id, "guided", **{"Estimated Minutes": None})
    settings = library.settings.with_overrides(notion_guide_url="https://wiki.example.edu/frames/notion-guide")

    export_pages(settings)

    assert "How to write a module page: https://wiki.example.edu/frames/notion-guide" in comment_of(notion_fake, page)


def interactive_section(picture: dict, settings: str) -> list[dict]:
    return [b.heading(2, "Find the Tools"), b.paragraph("Type: interactive"), picture, b.code(settings, "yaml")]


HOTSPOTS = """\
instruction: Click the middle of the picture.
hotspots:
  - {id: middle, x: 50%, y: "25 %", label: Middle}
completion_criteria: {hotspots_clicked: 1}
"""


def test_hotspots_may_be_placed_in_percent_of_an_uploaded_picture(notion_fake, library):
    picture = b.hosted_file("image", PNG, "bench.png", "image/png")  # 16 × 16 pixels
    body = module_body("h", extra=interactive_section(picture, HOTSPOTS))
    add_module_page(notion_fake, library.data_source_id, "hotspots-in-percent", blocks=body)

    report = export_pages(library.settings)

    assert report.ok, report.pages[0].problems
    data = json.loads((library.settings.modules_dir / "hotspots-in-percent.json").read_text())
    (hotspot,) = data["sections"][2]["content"]["hotspots"]
    assert (hotspot["x"], hotspot["y"]) == (8, 4), "50% and 25% of a 16 × 16 picture"


def test_percentages_on_a_linked_picture_say_what_to_do(notion_fake, library):
    picture = b.image_external("https://example.org/bench.png")
    body = module_body("h", extra=interactive_section(picture, HOTSPOTS))
    page = add_module_page(notion_fake, library.data_source_id, "linked-picture", blocks=body)

    export_pages(library.settings)

    comment = comment_of(notion_fake, page)
    where = "section #3 'Find the Tools': the YAML settings, hotspot 1 'middle', x:"
    assert f"{where} 50% needs the picture's size" in comment
    assert "upload the picture, or give the position in pixels" in comment
    assert_in_notion_terms(comment, page)
