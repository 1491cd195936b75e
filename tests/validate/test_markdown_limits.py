"""Markdown costly to parse is refused by validate and left unparsed by preview: the two agree on what is fine."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.module.markdown_policy import MAX_BRACKET_SCAN, MAX_MARKUP, bracket_scan, inspect_markdown
from pipeline.preview.markdown import render_markdown
from pipeline.settings import Settings
from pipeline.validate.rules import validate_paths
from tests.module_builders import sample_module, text_section, write_json

SECTION = 100_000  # the schema's maxLength for Markdown
HOSTILE = {
    "unclosed images (the reported 5 MB file)": "![" * (SECTION // 2),
    "unclosed links": "[" * SECTION,
    "a few unclosed images before a long paragraph": "![" * 5 + "word " * 19_000,
    "unclosed links hidden behind code spans": "[`]`" * 200 + "word " * 19_000,
    "emphasis marks": "**a" * 33_000,
    "mixed emphasis": "*a_" * 33_000,
    "short lines": "a\n" * 50_000,
    "backslashes": "\\" * SECTION,
    "entities": "&amp;" * 20_000,
    "nested brackets": "[" * 6_000 + "]" * 6_000,
}
FINE = {
    "prose": "Wear goggles at the bench, and read the safety sheet first. " * 1_600,
    "many closed links": "See [the sheet](https://example.org/sheet) and [this](#ppe). " * 400,
    "a long list of links": "".join(f"- [`item {i}`](https://example.org/{i})\n" for i in range(900)),
    "a table": "| a | b |\n| --- | --- |\n" + "| one | **two** |\n" * 800,
    "just under the markup limit": "*a_" * (MAX_MARKUP // 2 - 10),
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_costly_markdown_is_refused_by_validate_and_not_parsed_by_preview(module_tree: Path, text: str) -> None:
    data = sample_module(sections=[text_section("intro", 1, "Hello."), text_section("costly", 2, text[:SECTION])])
    path = write_json(module_tree / "lab-safety-101.json", data)

    problems = validate_paths([path], Settings(modules_dir=module_tree)).problems
    html = render_markdown(text[:SECTION])

    assert [p.pointer for p in problems] == ["/sections/1/content"], [str(p) for p in problems]
    assert "at most" in problems[0].message
    assert html.startswith('<p class="external">Not rendered: ') and "at most" in html
    assert len(html) < 10_000  # the start of the text, escaped, not all of it


@pytest.mark.parametrize("text", FINE.values(), ids=FINE.keys())
def test_ordinary_markdown_even_long_passes_and_renders(text: str) -> None:
    assert inspect_markdown(text).issues == ()
    assert "Not rendered" not in render_markdown(text)


def test_the_limits_say_where_the_unclosed_bracket_is() -> None:
    text = "Fine first paragraph.\n\nStill fine.\n" + "![" * 4 + "word " * 19_000
    (issue,) = inspect_markdown(text).issues
    assert issue.line == 4 and "never closed" in issue.message


def test_bracket_scan_counts_what_unclosed_brackets_make_the_parser_read() -> None:
    assert bracket_scan("[a](b) " * 10)[0] == 20  # each '[' reads two characters to its ']'
    assert bracket_scan("[" + "x" * 99)[0] == 100  # an unclosed one reads to the paragraph's end
    assert bracket_scan("[" + "x" * 99 + "\n\nnext")[0] == 100  # … and no further
    assert bracket_scan("\\[" + "x" * 99)[0] == 0  # an escaped bracket opens nothing
    assert bracket_scan("[`]`" + "x" * 96)[0] == 100  # a code span may hide the ']'
    assert bracket_scan("[" * 3 + "x" * (MAX_BRACKET_SCAN // 3))[0] > MAX_BRACKET_SCAN
