"""A Notion block tree (raw API blocks, children already fetched) to CommonMark that the Markdown policy accepts.

Input: blocks in API order; a block with `has_children` carries its fetched children under the extra key
`"children"` (a synced_block that copies another block carries the original's children; a table its rows).
Nothing is dropped silently: unknown block types are errors naming the type and block id, and the few blocks
dropped on purpose (table of contents, breadcrumb) are listed in docs/notion-template.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from pipeline.errors import PipelineError
from pipeline.module.markdown_policy import inspect_markdown, is_safe_link
from pipeline.module.problems import Severity
from pipeline.notion.ids import notion_page_url
from pipeline.notion.issues import ConversionIssue, block_words
from pipeline.notion.rich_text import escape_text, math_source, render_rich_text, rich_text_to_plain, safe_url

ResolveFile = Callable[[dict[str, Any]], str]

MEDIA_TYPES = frozenset({"image", "video", "file", "pdf", "audio"})
LIST_TYPES = frozenset({"bulleted_list_item", "numbered_list_item", "to_do"})
DROPPED_TYPES = frozenset({"table_of_contents", "breadcrumb"})  # navigation Notion draws; the LMS has its own
CONVERTED_TYPES = frozenset(
    {"paragraph", "heading_1", "heading_2", "heading_3", "heading_4", "toggle", "quote", "callout", "code"}
    | {"equation", "divider", "table", "column_list", "column", "synced_block", "template", "child_page"}
    | {"child_database", "link_to_page", "bookmark", "embed", "link_preview"}
    | LIST_TYPES
    | MEDIA_TYPES
)
_LANGUAGE_CHARS = re.compile(r"[^A-Za-z0-9_+#.\-]")


@dataclass(frozen=True)
class Conversion:
    """The Markdown of some blocks, and what the team lead should know (warnings) or fix (errors)."""

    markdown: str
    warnings: tuple[ConversionIssue, ...]
    errors: tuple[ConversionIssue, ...]


def notion_file_url(block: dict[str, Any]) -> str:
    """The default resolver: the URL Notion gives for the block's file (Notion-hosted URLs expire in an hour)."""
    data = block.get(block.get("type", ""), {}) or {}
    return str((data.get("file") or {}).get("url", ""))


def media_source(block: dict[str, Any], resolve_file: ResolveFile = notion_file_url) -> str:
    """The URL a module should use for an image/video/file/pdf/audio block: external URLs as they are."""
    data = block.get(block.get("type", ""), {}) or {}
    if data.get("type") == "external":
        return str((data.get("external") or {}).get("url", "")).strip()
    return resolve_file(block).strip()  # "file" (Notion-hosted) and "file_upload"


def _file_name(url: str) -> str:
    # A Notion-hosted URL is long and signed; its last path segment is the uploaded file's name.
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _indent(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    out = [first + lines[0]]
    out += [(rest + line) if line.strip() else "" for line in lines[1:]]
    return "\n".join(out)


def _blockquote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.split("\n"))


class _Converter:
    def __init__(
        self, page_id: str, where: str, resolve_file: ResolveFile, section_number: int | None, pointer: str
    ) -> None:
        self.page_id = page_id
        self.where = where
        self.section_number = section_number
        self.pointer = pointer
        self.resolve_file = resolve_file
        self.warnings: list[ConversionIssue] = []
        self.errors: list[ConversionIssue] = []

    def issue(self, block: dict[str, Any] | None, message: str, severity: Severity = "error") -> None:
        found = ConversionIssue(
            self.page_id,
            block.get("id") if block else None,
            self.where,
            message,
            severity,
            section_number=self.section_number,
            pointer=self.pointer,
            block_words=block_words(block),
        )
        (self.errors if severity == "error" else self.warnings).append(found)

    def text(
        self,
        items: list[dict[str, Any]] | None,
        block: dict[str, Any],
        *,
        single_line: bool = False,
        links: bool = True,
    ) -> str:
        rendered = render_rich_text(items, single_line=single_line, links=links)
        for url in rendered.refused_links:
            self.issue(
                block,
                f"the link to {url[:80]!r} was kept as plain text: only http(s) and mailto links are allowed; "
                "change the link in Notion",
                "warning",
            )
        return rendered.markdown

    def children(self, block: dict[str, Any]) -> list[dict[str, Any]]:
        children = block.get("children")
        if children is None:
            if block.get("has_children"):
                self.issue(block, f"the content inside this {block.get('type')} block was not fetched; export again")
            return []
        return list(children)

    def render(self, blocks: list[dict[str, Any]]) -> str:
        chunks: list[str] = []
        previous_kind: str | None = None
        number = 0
        for block in blocks:
            kind = block.get("type")
            if kind == "numbered_list_item" and previous_kind == kind:
                number += 1
            else:  # a new list; Notion may say where its numbering starts
                start = (block.get(str(kind)) or {}).get("list_start_index")
                number = start if isinstance(start, int) and 0 <= start < 10**9 else 1
            chunk = self.block(block, number)
            if not chunk:
                previous_kind = None if kind not in LIST_TYPES else previous_kind
                continue
            if chunks:
                same_list = kind in LIST_TYPES and kind == previous_kind
                chunks.append("\n" if same_list else "\n\n")
            chunks.append(chunk)
            previous_kind = kind
        return "".join(chunks)

    def block(self, block: dict[str, Any], number: int = 1) -> str:
        kind = str(block.get("type"))
        data = block.get(kind) or {}
        if kind in DROPPED_TYPES:
            return ""
        if kind not in CONVERTED_TYPES:
            name = kind if kind not in ("None", "unsupported") else "unsupported"
            self.issue(
                block,
                f"block type {name!r} cannot be exported (the Notion API does not show its content, or this "
                "exporter does not know it); replace it with text, a list, an image or a table, or delete it",
            )
            return ""
        if kind == "numbered_list_item":
            return self._numbered_list_item(block, data, number)
        return str(getattr(self, f"_{kind}")(block, data))

    def nested(self, block: dict[str, Any]) -> str:
        return self.render(self.children(block))

    # --- text blocks ---
    def _paragraph(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return "\n\n".join(part for part in (self.text(data.get("rich_text"), block), self.nested(block)) if part)

    def _heading(self, level: int, block: dict[str, Any], data: dict[str, Any]) -> str:
        title = self.text(data.get("rich_text"), block, single_line=True)
        heading = f"{'#' * level} {title}" if title else ""
        # A toggleable heading is shown open: its content follows it.
        return "\n\n".join(part for part in (heading, self.nested(block)) if part)

    def _heading_1(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return self._heading(1, block, data)

    def _heading_2(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return self._heading(2, block, data)

    def _heading_3(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return self._heading(3, block, data)

    def _heading_4(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return self._heading(4, block, data)

    def _list_item(self, marker: str, block: dict[str, Any], data: dict[str, Any]) -> str:
        text = self.text(data.get("rich_text"), block)
        children = self.children(block)
        body = self.render(children)
        width = " " * len(marker.split("[")[0])  # a to-do's "[ ]" is part of the item's text, not its marker
        item = _indent(text, marker, width) if text else marker.rstrip()
        if body:
            # A nested list may follow the item's text directly; anything else needs a blank line, or it would
            # continue the item's paragraph.
            # An item with no text must not start with a blank line either, or its content would fall out of it.
            separator = "\n" if not text or children[0].get("type") in LIST_TYPES else "\n\n"
            item += separator + _indent(body, width, width)
        return item

    def _bulleted_list_item(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return self._list_item("- ", block, data)

    def _numbered_list_item(self, block: dict[str, Any], data: dict[str, Any], number: int = 1) -> str:
        return self._list_item(f"{number}. ", block, data)

    def _to_do(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return self._list_item("- [x] " if data.get("checked") else "- [ ] ", block, data)

    def _toggle(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        # No <details> (raw HTML is refused): a toggle is shown open, its title as a paragraph.
        return self._paragraph(block, data)

    def _quote(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        body = self._paragraph(block, data)
        return _blockquote(body) if body else ""

    def _callout(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return self._quote(block, data)  # the icon and background color are decoration, like colors elsewhere

    def _code(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        source = rich_text_to_plain(data.get("rich_text")).replace("\r\n", "\n")
        language = str(data.get("language") or "")
        language = "text" if language == "plain text" else _LANGUAGE_CHARS.sub("-", language)
        longest = max((len(m) for m in re.findall(r"`{3,}", source)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}{language}\n{source}\n{fence}"

    def _equation(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        expression = str(data.get("expression") or "")
        return f"$$\n{math_source(expression)}\n$$" if expression.strip() else ""

    def _divider(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return "---"

    # --- structure ---
    def _table(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        rows = [row for row in self.children(block) if row.get("type") == "table_row"]
        if not rows:
            return ""
        width = max([int(data.get("table_width") or 0)] + [len(r["table_row"].get("cells") or []) for r in rows])
        lines = []
        for index, row in enumerate(rows):
            cells = [self.text(cell, row, single_line=True) for cell in row["table_row"].get("cells") or []]
            cells += [""] * (width - len(cells))
            if data.get("has_row_header") and index > 0 and cells[0]:
                cells[0] = f"**{cells[0]}**"  # Markdown has no row headers: the first column is made bold
            lines.append("| " + " | ".join(cells) + " |")
            if index == 0:
                # GitHub-flavoured tables need a header row; without a column header the first row serves.
                lines.append("|" + "|".join(" --- " for _ in range(width)) + "|")
        return "\n".join(lines)

    def _column_list(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return "\n\n".join(part for part in (self.nested(column) for column in self.children(block)) if part)

    def _column(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return self.nested(block)

    def _synced_block(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return self.nested(block)  # a copy carries the original's children (the fetcher reads them)

    def _template(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        self.issue(block, "a template button is not content and was left out; delete it to silence this", "warning")
        return ""

    # --- links to other Notion pages ---
    def _child_page(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return self._child(block, data, "sub-page")

    def _child_database(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return self._child(block, data, "database")

    def _child(self, block: dict[str, Any], data: dict[str, Any], what: str) -> str:
        title = str(data.get("title") or f"Untitled {what}")
        self.issue(
            block,
            f"the {what} {title!r} is not exported, only a link to it (students may not be able to open Notion); "
            "move its content onto this page if students need it",
            "warning",
        )
        return f"[{escape_text(title)}]({notion_page_url(str(block.get('id', '')))})"

    def _link_to_page(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        target = data.get(str(data.get("type"))) or ""
        if not isinstance(target, str) or not target:
            self.issue(block, "this link to a page has no target; delete it or link the page again", "warning")
            return ""
        return f"[Linked Notion page]({notion_page_url(target)})"

    # --- media and links ---
    def _caption(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        return self.text(data.get("caption"), block, single_line=True, links=False)

    def _source(self, block: dict[str, Any]) -> str | None:
        kind = block.get("type")
        try:
            url = media_source(block, self.resolve_file)
        except PipelineError as exc:
            self.issue(block, f"the {kind} could not be fetched: {exc}")
            return None
        if not url:
            self.issue(
                block, f"this {kind} block has no file or link; add one in Notion or delete the block", "warning"
            )
            return None
        if not is_safe_link(url):
            self.issue(
                block, f"the {kind} address {url[:80]!r} is not allowed: use an https:// link or upload the file"
            )
            return None
        return url

    def _image(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        url = self._source(block)
        if url is None:
            return ""
        alt = escape_text(rich_text_to_plain(data.get("caption")).replace("\n", " ").strip())
        return f"![{alt}]({safe_url(url)})"

    def _linked_media(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        url = self._source(block)
        if url is None:
            return ""
        name = str(data.get("name") or "") or (_file_name(url) if data.get("type") != "external" else "")
        label = self._caption(block, data) or escape_text(name or url)
        return f"[{label}]({safe_url(url)})"

    _video = _linked_media  # no <video>: raw HTML is refused; a video section uses media_url instead
    _file = _linked_media
    _pdf = _linked_media
    _audio = _linked_media

    def _web_link(self, block: dict[str, Any], data: dict[str, Any]) -> str:
        url = str(data.get("url") or "").strip()
        if not url:
            self.issue(block, f"this {block.get('type')} block has no address; add one or delete it", "warning")
            return ""
        label = self._caption(block, data) or escape_text(url)
        if not is_safe_link(url):
            self.issue(block, f"the link to {url[:80]!r} was kept as plain text: use an http(s) address", "warning")
            return label
        return f"[{label}]({safe_url(url)})"

    _bookmark = _web_link
    _embed = _web_link
    _link_preview = _web_link


def blocks_to_markdown(
    blocks: list[dict[str, Any]],
    *,
    page_id: str,
    resolve_file: ResolveFile = notion_file_url,
    where: str = "",
    section_number: int | None = None,
    pointer: str = "",
) -> Conversion:
    """Convert blocks (children under `"children"`) to Markdown; `where` (and `section_number`) name the section
    in issues, `pointer` the module field the Markdown becomes."""
    converter = _Converter(page_id, where, resolve_file, section_number, pointer)
    markdown = converter.render(blocks).strip("\n")
    # A safety net: escaping should make this impossible, but a policy breach must never reach a module file.
    for found in inspect_markdown(markdown).issues:
        converter.issue(None, f"the converted Markdown breaks the Markdown policy ({found.message}); report this bug")
    return Conversion(markdown, tuple(converter.warnings), tuple(converter.errors))
