"""The text helpers every report shares: Notion text in a GitHub Markdown table stays text."""

from __future__ import annotations

from markdown_it import MarkdownIt

from pipeline.report import markdown_cell, short_text


def test_a_notion_title_with_markdown_in_it_stays_one_plain_table_cell() -> None:
    title = "Lab *safety* | part 2\n[click](https://evil.example) <b>bold</b> `code` #12"
    table = f"| title | n |\n| --- | --- |\n| {markdown_cell(title)} | 1 |\n"

    html = MarkdownIt("commonmark").enable("table").render(table)

    assert html.count("<td>") == 2  # the | in the title did not open a third cell
    assert "<em>" not in html and "<a " not in html and "<b>" not in html and "<code>" not in html
    assert "Lab *safety* | part 2 [click](https://evil.example)" in html.replace("&lt;", "<").replace("&gt;", ">")


def test_long_values_are_cut_with_an_ellipsis_and_non_text_is_shown_as_json() -> None:
    assert short_text("x" * 100, 10) == "x" * 9 + "…"
    assert short_text({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert markdown_cell(None) == "null"
