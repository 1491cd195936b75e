"""A Module Library page becomes a module document, or a list of things the team lead fixes in Notion."""

from __future__ import annotations

import hashlib
from typing import Any

from pipeline.notion.page_mapping import page_to_module, section_id_for
from pipeline.validate.rules import schema_validator
from tests.notion.builders import (
    PAGE_ID,
    SAFETY_PAGE_ID,
    code,
    library_page,
    media,
    person,
    rich,
    text,
)

PREREQUISITES = {SAFETY_PAGE_ID: "lab-safety-101"}
BENCH_ID = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"
TOOLS_ID = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
QUIZ_ID = "5a5a5a5a-6b6b-4c7c-8d8d-9e9e9e9e9e9e"
HOTSPOTS_JSON = """{
  "instruction": "Click the oscilloscope.",
  "hotspots": [{"id": "oscilloscope", "x": 205, "y": 225, "label": "Oscilloscope"}],
  "completion_criteria": {"hotspots_clicked": 1}
}"""
QUIZ_YAML = """pass_percent: 50
questions:
  - question_id: current-limit
    prompt: What do you set before connecting a circuit?
    choices: [The voltage, The current limit]
    correct_choice: 1
"""


def assets_resolver(block: dict[str, Any]) -> str:
    """What the exporter's resolver does: a content-named path under /assets/<module_id>/ (no download here)."""
    url = block[block["type"]]["file"]["url"]
    return f"/assets/equipment-tour/{hashlib.sha256(url.encode()).hexdigest()[:16]}.png"


def equipment_tour_body(*, bench_title: str = "Section 1: The Electronics Bench") -> list[dict[str, Any]]:
    """The Equipment Tour page body: objectives, a text section with an inline image, interactive, quiz."""
    return [
        rich("paragraph", "Welcome! This intro is not part of any section."),
        rich("heading_1", "Learning Objectives"),
        rich("bulleted_list_item", "Name the instruments on the bench"),
        rich("bulleted_list_item", "Set a current limit", children=[rich("paragraph", "sub-note, not an objective")]),
        rich("heading_2", bench_title, block_id=BENCH_ID),
        rich("paragraph", "Always set the ", text("current limit", bold=True), " first."),
        media("image", "https://prod-files.notion-static.com/bench.png?X-Amz-Signature=1", hosted=True),
        rich("heading_2", "Section 2 - Find the Tools", block_id=TOOLS_ID),
        rich("paragraph", "Type: Interactive"),
        media("image", "https://prod-files.notion-static.com/tools.png?X-Amz-Signature=2", hosted=True),
        code(HOTSPOTS_JSON, "json"),
        rich("heading_2", "Check yourself", block_id=QUIZ_ID),
        rich("paragraph", "Type: quiz\nID: bench-quiz"),
        rich("paragraph", "Answer both questions."),
        code(QUIZ_YAML, "yaml"),
    ]


def convert(blocks: list[dict[str, Any]], page: dict[str, Any] | None = None):
    return page_to_module(page or library_page(), blocks, prerequisite_ids=PREREQUISITES, resolve_file=assets_resolver)


def test_well_formed_page_becomes_a_module_the_schema_accepts() -> None:
    # given the Equipment Tour page
    # when it is converted
    result = convert(equipment_tour_body())
    # then there are no problems, and once the exporter adds metadata the schema accepts it
    assert result.problems == ()
    module = result.module
    assert module is not None
    assert list(schema_validator().iter_errors({**module, "metadata": {"revision": 1}})) == []
    # and the properties became fields
    assert module["module_id"] == "equipment-tour"
    assert module["title"] == "Equipment Tour"
    assert module["created_by_id"] == "maria-lopez"
    assert module["owner_id"] is None
    assert module["university_id"] == "cpp"
    assert module["cohort"] == "Fall 2025"
    assert module["target_audience"] == "incoming_students"
    assert module["tags"] == ["equipment", "on-boarding"]
    assert module["prerequisites"] == ["lab-safety-101"]
    assert module["authoring_method"] == "form"
    assert module["notion_page_id"] == PAGE_ID.replace("-", "")
    assert "metadata" not in module
    # and the intro before the first section is reported, not silently lost
    assert any("outside any section" in w.message for w in result.warnings)


def test_learning_objectives_are_the_list_items_under_their_heading() -> None:
    module = convert(equipment_tour_body()).module
    assert module is not None
    assert module["learning_objectives"] == ["Name the instruments on the bench", "Set a current limit"]


def test_sections_take_titles_without_prefix_types_and_stable_ids() -> None:
    # when the page is converted
    sections = convert(equipment_tour_body()).module["sections"]
    # then each heading_2 is a section, "Section N:" / "Section N -" dropped
    assert [s["title"] for s in sections] == ["The Electronics Bench", "Find the Tools", "Check yourself"]
    assert [s["section_number"] for s in sections] == [1, 2, 3]
    assert [s["section_type"] for s in sections] == ["text", "interactive", "quiz"]
    # and ids come from the heading block, or from an explicit ID: line
    assert [s["section_id"] for s in sections] == ["s-0a1b2c3d4e5f", "s-9f8e7d6c5b4a", "bench-quiz"]


def test_text_section_keeps_its_image_inline_and_the_interactive_one_takes_its_image_as_media() -> None:
    sections = convert(equipment_tour_body()).module["sections"]
    bench, tools, quiz = sections
    assert bench["media_url"] is None
    assert bench["content"].startswith("Always set the **current limit** first.\n\n![](/assets/equipment-tour/")
    assert tools["media_url"].startswith("/assets/equipment-tour/") and tools["media_url"].endswith(".png")
    assert tools["content"]["hotspots"][0]["id"] == "oscilloscope"
    # the quiz config came from YAML, and the text around it became its instruction
    assert quiz["content"]["instruction"] == "Answer both questions."
    assert quiz["content"]["questions"][0]["correct_choice"] == 1


def test_section_ids_survive_retitling_and_reordering() -> None:
    # given the page exported once
    before = {s["title"]: s["section_id"] for s in convert(equipment_tour_body()).module["sections"]}
    # when the team lead retitles the bench section and moves it last
    blocks = equipment_tour_body(bench_title="Section 3: Your Bench")
    start = next(i for i, b in enumerate(blocks) if b["id"] == BENCH_ID)
    bench = blocks[start : start + 3]
    blocks = [b for b in blocks if b not in bench] + bench
    after = convert(blocks).module["sections"]
    # then the same heading block keeps the same section_id, under its new title and number
    moved = next(s for s in after if s["title"] == "Your Bench")
    assert moved["section_id"] == before["The Electronics Bench"] == section_id_for(BENCH_ID)
    assert moved["section_number"] == 3


def test_video_section_takes_the_first_video_as_media_and_keeps_the_rest_as_caption() -> None:
    blocks = [
        rich("heading_2", "Learning Objectives"),
        rich("numbered_list_item", "Read a waveform"),
        rich("heading_2", "Oscilloscope Basics"),
        rich("paragraph", "Type: video"),
        media("video", "https://media.frames-lms.org/videos/oscilloscope-basics.mp4"),
        rich("paragraph", "How to set the timebase."),
    ]
    section = convert(blocks).module["sections"][0]
    assert section["media_url"] == "https://media.frames-lms.org/videos/oscilloscope-basics.mp4"
    assert section["content"] == "How to set the timebase."


def test_toggleable_heading_section_content_comes_from_inside_the_toggle() -> None:
    blocks = [
        rich("heading_3", "Learning objectives:"),
        rich("to_do", "Solder a joint"),
        rich("heading_2", "Soldering", is_toggleable=True, children=[rich("paragraph", "Heat the pad first.")]),
    ]
    section = convert(blocks).module["sections"][0]
    assert section["content"] == "Heat the pad first."


def _problem_messages(result) -> list[str]:
    return [str(p) for p in result.problems]


def test_missing_module_id_and_bad_type_are_problems_naming_page_section_and_block() -> None:
    # given a page without a Module ID and a section with a misspelt type
    blocks = equipment_tour_body()
    blocks[8] = rich("paragraph", "Type: interactve", block_id="12345678-1234-4234-8234-123456789abc")
    result = convert(blocks, library_page(Module_ID=""))
    # then there is no module, and each problem says where and what to do
    assert result.module is None
    messages = _problem_messages(result)
    assert any("'Module ID'" in m and "is empty" in m for m in messages)
    bad_type = next(p for p in result.problems if "interactve" in p.message)
    assert (bad_type.page_id, bad_type.where, bad_type.block_id) == (
        PAGE_ID,
        "Find the Tools",
        "12345678-1234-4234-8234-123456789abc",
    )
    assert "use one of text, video, image, interactive, quiz" in bad_type.message


def test_invalid_json_config_is_reported_with_its_line() -> None:
    blocks = equipment_tour_body()
    blocks[10] = code(
        '{\n  "instruction": "Click",\n  "hotspots": [,]\n}', "json", block_id="c0de0000-0000-4000-8000-000000000001"
    )
    result = convert(blocks)
    problem = next(p for p in result.problems if "JSON" in p.message)
    assert problem.block_id == "c0de0000-0000-4000-8000-000000000001"
    assert "line 3" in problem.message and problem.where == "Find the Tools"


def test_invalid_yaml_config_is_reported_with_its_line() -> None:
    blocks = equipment_tour_body()
    blocks[14] = code("questions:\n  - prompt: [unclosed\n", "yaml")
    problem = next(p for p in convert(blocks).problems if "YAML" in p.message)
    assert "line 3" in problem.message or "line 2" in problem.message
    assert problem.where == "Check yourself"


def test_interactive_section_without_image_or_config_says_what_to_add() -> None:
    blocks = [
        rich("heading_1", "Learning Objectives"),
        rich("bulleted_list_item", "Find things"),
        rich("heading_2", "Find the Tools"),
        rich("paragraph", "Type: interactive"),
        rich("paragraph", "Click around."),
    ]
    messages = _problem_messages(convert(blocks))
    assert any("needs a image block" in m or "needs an image block" in m for m in messages)
    assert any("code block (language JSON or YAML)" in m for m in messages)


def test_unknown_prerequisite_and_unsupported_block_are_problems() -> None:
    page = library_page(Prerequisites=[{"id": "99999999-9999-4999-8999-999999999999"}])
    blocks = equipment_tour_body()
    blocks.insert(
        6,
        {
            "object": "block",
            "id": "ffffffff-0000-4000-8000-000000000000",
            "type": "unsupported",
            "unsupported": {},
            "has_children": False,
        },
    )
    result = convert(blocks, page)
    assert result.module is None
    messages = _problem_messages(result)
    assert any("related page 1 is not a Module Library page" in m for m in messages)
    assert not any("9999" in m for m in messages), "a team lead cannot see page ids in Notion"
    unsupported = next(p for p in result.problems if p.block_id == "ffffffff-0000-4000-8000-000000000000")
    assert unsupported.where == "The Electronics Bench" and "'unsupported'" in unsupported.message


def test_missing_learning_objectives_and_sections_are_problems() -> None:
    messages = _problem_messages(convert([rich("paragraph", "Just text")]))
    assert any("no learning objectives" in m for m in messages)
    assert any("no sections" in m for m in messages)


def test_duplicate_explicit_section_ids_are_a_problem() -> None:
    blocks = [
        rich("heading_1", "Learning Objectives"),
        rich("bulleted_list_item", "One"),
        rich("heading_2", "A"),
        rich("paragraph", "ID: intro"),
        rich("paragraph", "a"),
        rich("heading_2", "B"),
        rich("paragraph", "ID: intro"),
        rich("paragraph", "b"),
    ]
    assert any("also used by 'A'" in m for m in _problem_messages(convert(blocks)))


def test_property_values_are_checked_and_named() -> None:
    page = library_page(
        Module_ID="Equipment Tour",
        Estimated_Minutes=12.5,
        Content_Source="Telepathy",
        Team_Lead={"type": "people", "people": [person("Ada Lovelace"), person("Grace Hopper")]},
    )
    result = convert(equipment_tour_body(), page)
    by_property = {p.where for p in result.problems}
    assert {"Module ID", "Estimated Minutes", "Content Source"} <= by_property
    assert any(w.where == "Team Lead" and "first one" in w.message for w in result.warnings)


def test_renamed_property_fails_loudly() -> None:
    result = convert(equipment_tour_body(), library_page(Module_ID=None))
    assert any(p.where == "Module ID" and "missing" in p.message for p in result.problems)


def test_retired_status_and_a_text_team_lead_are_read() -> None:
    # given a retired module whose Team Lead column holds a typed id instead of a person
    page = library_page(Status="Retired", Team_Lead={"type": "rich_text", "rich_text": [text("faculty-john-doe")]})
    # when converted
    module = convert(equipment_tour_body(), page).module
    # then the module is retired and its author id is the typed one
    assert module is not None
    assert module["status"] == "retired" and module["created_by_id"] == "faculty-john-doe"


def test_config_that_breaks_the_module_schema_is_explained_in_notion_terms() -> None:
    # given hotspots settings where a hotspot has no label and a negative x, and no completion rule
    blocks = equipment_tour_body()
    blocks[10] = code('{"instruction": "Click", "hotspots": [{"id": "a", "x": -5, "y": 1}]}', "json")
    # when converted
    result = convert(blocks)
    # then each problem names the section, the code block and the place inside the settings
    messages = [p.message for p in result.problems if p.block_id == blocks[10]["id"]]
    assert all(p.where == "Find the Tools" for p in result.problems)
    assert any("missing required field 'completion_criteria'" in m for m in messages)
    assert any("settings, hotspot 1 'a': " in m and "'label'" in m for m in messages)
    assert any("settings, hotspot 1 'a', x: " in m and "too small" in m for m in messages)
    assert not any("hotspots/0" in m for m in messages), "a pointer, counting from 0, is no help in Notion"


def test_duration_line_sets_the_section_duration() -> None:
    blocks = [
        rich("heading_1", "Learning Objectives"),
        rich("bulleted_list_item", "One"),
        rich("heading_2", "A"),
        rich("paragraph", "Duration: 4 min"),
        rich("paragraph", "a"),
        rich("heading_2", "B"),
        rich("paragraph", "Type: text\nDuration: 90 seconds"),
        rich("paragraph", "b"),
        rich("heading_2", "C"),
        rich("paragraph", "c"),
    ]
    sections = convert(blocks).module["sections"]
    assert [s["duration_seconds"] for s in sections] == [240, 90, None]
    bad = convert([*blocks[:3], rich("paragraph", "Duration: soon"), rich("paragraph", "a")])
    assert any("'Duration: soon'" in p.message for p in bad.problems)
