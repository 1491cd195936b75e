"""Each block type, deep nesting, hostile text and unknown blocks, converted to Markdown the policy accepts."""

from __future__ import annotations

from typing import Any

import pytest
from markdown_it import MarkdownIt

from pipeline.module.markdown_policy import inspect_markdown
from pipeline.notion.blocks import blocks_to_markdown
from pipeline.notion.rich_text import rich_text_to_markdown
from tests.notion.builders import block, code, media, rich, text

_md = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def convert(*blocks: dict[str, Any], **options: Any):
    result = blocks_to_markdown(list(blocks), page_id="p1", **options)
    assert inspect_markdown(result.markdown).issues == ()  # every output must pass the policy
    return result


def markdown_of(*blocks: dict[str, Any]) -> str:
    result = convert(*blocks)
    assert result.errors == ()
    return result.markdown


def rendered(markdown: str) -> str:
    return _md.render(markdown)


def test_headings_one_to_four_and_paragraphs() -> None:
    markdown = markdown_of(
        rich("heading_1", "One"), rich("heading_2", "Two"), rich("heading_3", "Three"), rich("heading_4", "Four")
    )
    assert markdown == "# One\n\n## Two\n\n### Three\n\n#### Four"


def test_lists_nest_to_any_depth() -> None:
    # given a bulleted list nested five deep, with a numbered list and a to-do inside
    deepest = rich("to_do", "five", checked=True)
    tree = rich(
        "bulleted_list_item",
        "one",
        children=[
            rich(
                "numbered_list_item",
                "two",
                children=[
                    rich(
                        "bulleted_list_item", "three", children=[rich("numbered_list_item", "four", children=[deepest])]
                    )
                ],
            ),
        ],
    )
    # when converted, then the HTML shows five nested lists with the text at each level
    html = rendered(markdown_of(tree))
    assert html.count("<ul>") + html.count("<ol>") == 5
    assert html.index("one") < html.index("two") < html.index("three") < html.index("four") < html.index("[x] five")
    assert "<pre>" not in html  # no accidental indented code block


def test_list_item_without_text_keeps_its_children_inside() -> None:
    html = rendered(markdown_of(rich("bulleted_list_item", children=[rich("paragraph", "inside")])))
    assert html == "<ul>\n<li>inside</li>\n</ul>\n"


def test_numbered_items_count_up_and_restart_after_other_blocks() -> None:
    markdown = markdown_of(
        rich("numbered_list_item", "a"),
        rich("numbered_list_item", "b"),
        rich("paragraph", "x"),
        rich("numbered_list_item", "c"),
    )
    assert markdown == "1. a\n2. b\n\nx\n\n1. c"


def test_numbered_list_starts_where_notion_says() -> None:
    markdown = markdown_of(rich("numbered_list_item", "c", list_start_index=3), rich("numbered_list_item", "d"))
    assert markdown == "3. c\n4. d"


def test_callout_and_quote_keep_their_children_inside() -> None:
    callout = rich(
        "callout",
        "Careful",
        icon={"type": "emoji", "emoji": "⚠️"},
        children=[rich("bulleted_list_item", "gloves"), code("x = 1", "python")],
    )
    html = rendered(markdown_of(callout))
    assert html.startswith("<blockquote>") and html.rstrip().endswith("</blockquote>")
    assert "<li>gloves</li>" in html and 'class="language-python"' in html


def test_code_with_backticks_keeps_its_fence_closed() -> None:
    markdown = markdown_of(code("```\nnot the end\n```", "markdown"))
    tokens = [t for t in _md.parse(markdown) if t.type == "fence"]
    assert len(tokens) == 1 and tokens[0].content == "```\nnot the end\n```\n" and tokens[0].info == "markdown"


def test_equations_inline_and_block() -> None:
    inline = {"type": "equation", "equation": {"expression": "E = mc^2"}, "plain_text": "E = mc^2", "href": None}
    markdown = markdown_of(rich("paragraph", "Energy ", inline), block("equation", {"expression": "a < b"}))
    assert markdown == "Energy $E = mc^2$\n\n$$\na \\lt  b\n$$"


def test_table_with_column_and_row_headers() -> None:
    def row(*cells: str) -> dict[str, Any]:
        return block("table_row", {"cells": [[text(c)] for c in cells]})

    table = block(
        "table",
        {"table_width": 2, "has_column_header": True, "has_row_header": True},
        [row("Tool", "Use"), row("Iron", "Solder | join"), row("Scope")],
    )
    html = rendered(markdown_of(table))
    assert "<th>Tool</th>" in html and "<td><strong>Iron</strong></td>" in html
    assert "<td>Solder | join</td>" in html and html.count("<tr>") == 3


def test_columns_synced_blocks_and_toggles_show_their_content() -> None:
    columns = block(
        "column_list",
        {},
        [block("column", {}, [rich("paragraph", "left")]), block("column", {}, [rich("paragraph", "right")])],
    )
    synced = block(
        "synced_block", {"synced_from": {"type": "block_id", "block_id": "x"}}, [rich("paragraph", "from the original")]
    )
    toggle = rich("toggle", "More", children=[rich("paragraph", "hidden text")])
    assert markdown_of(columns, synced, toggle) == "left\n\nright\n\nfrom the original\n\nMore\n\nhidden text"


def test_mentions_of_users_pages_dates_and_links() -> None:
    items = [
        {"type": "mention", "mention": {"type": "user", "user": {"id": "u"}}, "plain_text": "@Ada", "href": None},
        {
            "type": "mention",
            "mention": {"type": "page", "page": {"id": "abc"}},
            "plain_text": "Lab rules",
            "href": "https://www.notion.so/abc",
        },
        {
            "type": "mention",
            "mention": {"type": "database", "database": {"id": "d"}},
            "plain_text": "Kit",
            "href": "https://www.notion.so/d",
        },
        {
            "type": "mention",
            "mention": {"type": "date", "date": {"start": "2025-02-01", "end": "2025-02-28"}},
            "plain_text": "2025-02-01 → 2025-02-28",
            "href": None,
        },
        {
            "type": "mention",
            "mention": {"type": "link_mention", "link_mention": {"href": "https://example.com/"}},
            "plain_text": "Example",
            "href": "https://example.com/",
        },
    ]
    assert rich_text_to_markdown(items) == (
        "@Ada[Lab rules](https://www.notion.so/abc)[Kit](https://www.notion.so/d)2025-02-01 → 2025-02-28"
        "[Example](https://example.com/)"
    )


def test_annotations_and_underline() -> None:
    items = [
        text("bold", bold=True),
        text(" "),
        text("it", italic=True),
        text(" "),
        text("gone", strikethrough=True),
        text(" "),
        text("under", underline=True),
        text(" "),
        text("x*y", code=True),
    ]
    assert rich_text_to_markdown(items) == "**bold** *it* ~~gone~~ under `x*y`"


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        "<javascript:alert(1)>",
        "![x](data:text/html,hi)",
        "`code` and **stars** and _under_ and ~~strike~~",
        "# not a heading",
        "1. not a list",
        "- not a list\n+ nor this\n> nor a quote",
        "    not code",
        "&lt;b&gt; entity",
        "a | b",
        "[ref]: javascript:alert(1)\n[ref]",
        "$not math$",
        "\\<escaped>",
    ],
)
def test_hostile_text_stays_literal(hostile: str) -> None:
    # given a paragraph whose text is Markdown or HTML syntax
    markdown = markdown_of(rich("paragraph", hostile))
    # then it renders as exactly that text: no HTML, no link, no formatting, no block structure
    html = rendered(markdown)
    tokens = _md.parse(markdown)
    assert [t.type for t in tokens if t.type.endswith("_open")] == ["paragraph_open"]
    inline = next(t for t in tokens if t.type == "inline")
    assert {c.type for c in inline.children} <= {"text", "softbreak", "hardbreak"}
    shown = "".join(c.content for c in inline.children)
    assert "".join(shown.split()) == "".join(hostile.split())
    assert "<a " not in html and "<script" not in html and "<img" not in html


def test_unsafe_link_becomes_plain_text_with_a_warning() -> None:
    result = convert(rich("paragraph", text("press me", link="javascript:alert(1)")))
    assert result.markdown == "press me"
    (warning,) = result.warnings
    assert warning.block_id and "javascript:alert(1)" in warning.message


def test_unsafe_image_and_bookmark_are_reported() -> None:
    result = convert(
        media("image", "data:image/png;base64,AAAA"), block("bookmark", {"url": "vbscript:x", "caption": []})
    )
    assert len(result.errors) == 1 and "data:image" in result.errors[0].message
    assert result.markdown == "vbscript:x" and len(result.warnings) == 1


def test_unknown_and_unsupported_blocks_are_errors_naming_type_and_id() -> None:
    result = convert(
        rich("paragraph", "kept"),
        block("unsupported", {}, block_id="aaaaaaaa-0000-4000-8000-000000000001"),
        block("ai_block", {}, block_id="aaaaaaaa-0000-4000-8000-000000000002"),
    )
    assert result.markdown == "kept"
    assert [(e.block_id, e.message.split("'")[1]) for e in result.errors] == [
        ("aaaaaaaa-0000-4000-8000-000000000001", "unsupported"),
        ("aaaaaaaa-0000-4000-8000-000000000002", "ai_block"),
    ]


def test_dropped_on_purpose_blocks_leave_nothing_and_no_issue() -> None:
    result = convert(block("table_of_contents", {"color": "gray"}), block("breadcrumb", {}))
    assert (result.markdown, result.errors, result.warnings) == ("", (), ())


def test_child_pages_and_databases_become_links_with_a_warning() -> None:
    result = convert(block("child_page", {"title": "Notes"}, block_id="0f3e5073-22d8-48eb-926b-e808df84c169"))
    assert result.markdown == "[Notes](https://www.notion.so/0f3e507322d848eb926be808df84c169)"
    assert len(result.warnings) == 1 and "Notes" in result.warnings[0].message


def test_link_to_page_becomes_a_notion_link() -> None:
    markdown = markdown_of(
        block("link_to_page", {"type": "page_id", "page_id": "c01166c6-13ae-45cb-b968-18b4ef2f5a77"})
    )
    assert markdown == "[Linked Notion page](https://www.notion.so/c01166c613ae45cbb96818b4ef2f5a77)"


def test_notion_hosted_files_go_through_the_resolver_and_external_ones_do_not() -> None:
    # given a Notion-hosted image and an external one
    seen: list[str] = []

    def resolve(raw: dict[str, Any]) -> str:
        seen.append(raw["id"])
        return "/assets/m/abc123.png"

    hosted = media("image", "https://prod-files.notion-static.com/a.png?sig", hosted=True, caption="Bench")
    external = media("image", "https://example.org/b.png")
    # when converted with the exporter's resolver
    markdown = convert(hosted, external, resolve_file=resolve).markdown
    # then only the hosted one was resolved
    assert seen == [hosted["id"]]
    assert markdown == "![Bench](/assets/m/abc123.png)\n\n![](https://example.org/b.png)"


def test_children_that_were_not_fetched_are_an_error() -> None:
    lonely = rich("toggle", "More")
    lonely["has_children"] = True
    assert "not fetched" in convert(lonely).errors[0].message


def test_touching_code_spans_stay_separate() -> None:
    # found by the property test: "`<`" followed by "`` `<a> ``" merged into one unclosed fence, exposing <a>
    items = [text("<", code=True), text("`<a>", code=True, link="javascript:alert(1)")]
    markdown = rich_text_to_markdown(items)
    assert inspect_markdown(markdown).issues == ()
    assert [c.content for c in _md.parseInline(markdown)[0].children if c.type == "code_inline"] == ["<", "`<a>"]


def test_backtick_in_an_equation_cannot_open_a_code_span() -> None:
    equation = {"type": "equation", "equation": {"expression": "`"}, "plain_text": "`", "href": None}
    markdown = rich_text_to_markdown([equation, text("<a>", code=True)])
    assert inspect_markdown(markdown).issues == ()


def test_entity_in_a_link_cannot_hide_a_scheme() -> None:
    # "&#106;avascript:" passes a naive scheme check but Markdown decodes it to "javascript:"
    markdown = rich_text_to_markdown([text("x", link="&#106;avascript:alert(1)")])
    assert inspect_markdown(markdown).issues == ()
    assert rich_text_to_markdown([text("q", link="https://x.org/?a=1&b=2")]) == "[q](https://x.org/?a=1&b=2)"
