"""Property: whatever rich text Notion sends, the Markdown passes the policy and shows the text as written."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pipeline.module.markdown_policy import inspect_markdown, policy_parser
from pipeline.notion.blocks import blocks_to_markdown
from pipeline.notion.rich_text import rich_text_to_markdown
from tests.notion.builders import block, rich

# Markdown's syntax characters, the characters that hide a scheme, and a few ordinary ones.
_FRAGMENTS = ["javascript:", "data:", "&#106;", "\u200b", "<a>", "</b>", "<!-- c -->", "<javascript:x>", "](", "\n- "]
_ALPHABET = st.sampled_from([*"<>[]()!`*_~$&#;:/\\|=+-.\n\t 1aJ", *_FRAGMENTS])
_TEXT = st.lists(_ALPHABET, max_size=30).map("".join)
_URL = st.one_of(
    st.sampled_from(["https://example.com/a b", "javascript:alert(1)", "JaVaScRiPt:x", " data:text/html,x", "/rel"]),
    _TEXT,
)


@st.composite
def rich_text_items(draw: st.DrawFn) -> list[dict[str, Any]]:
    items = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["text", "text", "equation", "mention"]))
        content = draw(_TEXT)
        notes = {name: draw(st.booleans()) for name in ("bold", "italic", "strikethrough", "underline", "code")}
        link = draw(st.one_of(st.none(), _URL))
        if kind == "text":
            item = {"type": "text", "text": {"content": content, "link": {"url": link} if link else None}}
        elif kind == "equation":
            item = {"type": "equation", "equation": {"expression": content}}
        else:
            item = {"type": "mention", "mention": {"type": "page", "page": {"id": "x"}}}
        items.append({**item, "annotations": {**notes, "color": "red"}, "plain_text": content, "href": link})
    return items


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rich_text_items())
def test_random_rich_text_never_breaks_the_markdown_policy(items: list[dict[str, Any]]) -> None:
    markdown = rich_text_to_markdown(items)
    assert inspect_markdown(markdown).issues == ()
    # and the parser that the policy trusts finds no HTML token at all (inspect_markdown may skip parsing)
    tokens = policy_parser().parse(markdown)
    assert not [t for t in tokens for c in [t, *(t.children or [])] if c.type in ("html_inline", "html_block")]


@settings(max_examples=200, deadline=None)
@given(rich_text_items(), st.sampled_from(["paragraph", "heading_2", "bulleted_list_item", "quote", "to_do", "table"]))
def test_random_rich_text_in_any_block_never_breaks_the_policy(items: list[dict[str, Any]], kind: str) -> None:
    if kind == "table":
        row = block("table_row", {"cells": [items, items]})
        raw = block("table", {"table_width": 2, "has_column_header": False, "has_row_header": True}, [row, row])
    else:
        raw = rich(kind, *items, children=[rich("numbered_list_item", *items)])
    result = blocks_to_markdown([raw], page_id="p")
    assert inspect_markdown(result.markdown).issues == ()
    assert not [e for e in result.errors if "policy" in e.message]


_commonmark = MarkdownIt("commonmark")


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_plain_text_renders_as_itself(content: str) -> None:
    # given unformatted text, when converted and rendered, then the reader sees the same characters
    markdown = rich_text_to_markdown(
        [{"type": "text", "text": {"content": content, "link": None}, "plain_text": content}]
    )
    inline = [t for t in _commonmark.parse(markdown) if t.type == "inline"]
    shown = "".join(c.content for t in inline for c in t.children or [])
    assert "".join(shown.split()) == "".join(content.split())


_CONTAINERS = ["paragraph", "bulleted_list_item", "numbered_list_item", "to_do", "toggle", "quote", "callout"]
_LEAVES = ["heading_1", "heading_2", "heading_4", "code", "equation", "divider", "image", "bookmark", "mystery"]


@st.composite
def block_trees(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    kind = draw(st.sampled_from(_CONTAINERS + _LEAVES if depth < 4 else _LEAVES))
    items = draw(rich_text_items())
    if kind in _CONTAINERS:
        children = draw(st.lists(block_trees(depth + 1), max_size=3))
        return rich(kind, *items, children=children)
    if kind == "code":
        return block("code", {"rich_text": items, "language": draw(st.sampled_from(["json", "plain text", "c++"]))})
    if kind == "equation":
        return block("equation", {"expression": draw(_TEXT)})
    if kind in ("image", "bookmark"):
        url = draw(_URL)
        data = {"type": "external", "external": {"url": url}} if kind == "image" else {"url": url}
        return block(kind, {**data, "caption": items})
    if kind == "mystery":
        return block("mystery", {})
    return rich(kind, *items) if kind.startswith("heading") else block(kind, {})


def _count(blocks: list[dict[str, Any]], kind: str) -> int:
    return sum((b["type"] == kind) + _count(b.get("children") or [], kind) for b in blocks)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(block_trees(), max_size=6))
def test_random_block_trees_pass_the_policy_and_report_every_unknown_block(blocks: list[dict[str, Any]]) -> None:
    result = blocks_to_markdown(blocks, page_id="p")
    assert inspect_markdown(result.markdown).issues == ()
    unknown = [e for e in result.errors if "'mystery'" in e.message]
    assert len(unknown) == _count(blocks, "mystery")
    assert not [e for e in result.errors if "policy" in e.message]


def _equation(expression: str) -> dict[str, Any]:
    return {
        "type": "equation",
        "equation": {"expression": expression},
        "plain_text": expression,
        "href": None,
        "annotations": {
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
            "code": False,
            "color": "default",
        },
    }


def _code(text: str) -> dict[str, Any]:
    return {
        "type": "text",
        "text": {"content": text, "link": None},
        "plain_text": text,
        "href": None,
        "annotations": {
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
            "code": True,
            "color": "default",
        },
    }


def test_a_backslash_before_a_backtick_or_dollar_in_an_equation_cannot_open_a_code_span_or_end_the_math() -> None:
    # found by the property test above: `\`` in an equation, then inline code `<a>`
    for expression in ("\\`", "\\\\`", "\\$"):
        markdown = rich_text_to_markdown([_equation(expression), _code("<a>")])

        assert inspect_markdown(markdown).issues == (), (expression, markdown)
        assert "`<a>`" in markdown
