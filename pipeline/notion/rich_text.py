"""Notion rich text (a list of text, mention and equation items) to safe CommonMark.

Text is escaped so that whatever a page says stays literal text: `<script>`, `[x](javascript:…)`, `*` and
backticks never become HTML, links or formatting. Links whose scheme the Markdown policy refuses become plain text
and are reported. Underline has no Markdown equivalent and is dropped (the text is kept); colors are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pipeline.module.markdown_policy import is_safe_link

# Punctuation that can start formatting, a link, HTML, an entity, a table cell or math anywhere in a line.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$])")
_ENTITY_START = re.compile(r"&(?=#?[A-Za-z0-9]+;)")  # only `&` that begins an entity needs escaping
# What makes a line start a heading, list, quote, setext underline or thematic break.
_LINE_START = re.compile(r"^([#+=\-])|^(\d{1,9})([.)])")
_URL_UNSAFE_CHARS = {
    " ": "%20",
    "(": "%28",
    ")": "%29",
    "<": "%3C",
    ">": "%3E",
    "\\": "%5C",
    "`": "%60",
    "\n": "",
    "\r": "",
}
# An entity's `&` is backslash-escaped, not encoded: Markdown would decode `&#106;` into `j` (a hidden scheme), and
# %26 would change what a query string means.


@dataclass(frozen=True)
class RenderedText:
    """Markdown for some rich text, and the link URLs that were refused (kept as plain text)."""

    markdown: str
    refused_links: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Run:
    text: str  # raw text (not yet escaped)
    bold: bool = False
    italic: bool = False
    strikethrough: bool = False
    code: bool = False
    href: str | None = None
    equation: bool = False


def escape_text(text: str) -> str:
    """Backslash-escape Markdown punctuation so `text` renders as itself (line starts are handled separately)."""
    return _ENTITY_START.sub(r"\\&", _INLINE_SPECIAL.sub(r"\\\1", text))


def _escape_line_starts(markdown: str) -> str:
    lines = []
    for line in markdown.split("\n"):
        line = line.lstrip(" \t")  # four leading spaces would start a code block
        line = _LINE_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", line)
        lines.append(line)
    return "\n".join(lines)


def code_span(text: str) -> str:
    """`text` as an inline code span whose fence is longer than any backtick run inside it."""
    text = text.replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def math_source(expression: str) -> str:
    """A TeX expression made inert for CommonMark: no HTML (`<`), no link syntax, no line breaks."""
    expression = " ".join(expression.split())
    expression = expression.replace("<", r"\lt ").replace(">", r"\gt ")
    # A `$` would end the math, a backtick pair with a later code span's fence. Backslashes before them are doubled
    # so that `\`` does not become `\\`` (an escaped backslash, then a bare backtick); Markdown undoes the doubling.
    expression = re.sub(r"(\\*)([`$])", lambda m: m[1] * 2 + "\\" + m[2], expression)
    expression = expression.replace("](", r"]\,(")  # `[x](javascript:…)` must not become a link
    if expression[:1] in set("#+=-*|~`_[") or re.match(r"\d", expression[:1]):
        expression = "{}" + expression  # an empty TeX group keeps the line from starting a block
    return expression


def safe_url(url: str) -> str:
    """`url` as a link destination: characters that would end or split it are percent-encoded."""
    return _ENTITY_START.sub(r"\\&", "".join(_URL_UNSAFE_CHARS.get(c, c) for c in url.strip()))


def _runs(items: list[dict[str, Any]]) -> list[_Run]:
    runs: list[_Run] = []
    for item in items:
        notes = item.get("annotations") or {}
        kind = item.get("type")
        href = item.get("href")
        if kind == "text":
            text = (item.get("text") or {}).get("content", item.get("plain_text", ""))
            link = (item.get("text") or {}).get("link") or {}
            href = link.get("url") or href
        elif kind == "equation":
            text = (item.get("equation") or {}).get("expression", item.get("plain_text", ""))
        else:  # mentions (user, page, database, date, link_preview, link_mention, template) and anything newer
            text = item.get("plain_text", "")
            href = _mention_href(item) or href
        run = _Run(
            text=text,
            bold=bool(notes.get("bold")),
            italic=bool(notes.get("italic")),
            strikethrough=bool(notes.get("strikethrough")),
            code=bool(notes.get("code")),
            href=href or None,
            equation=kind == "equation",
        )
        previous = runs[-1] if runs else None
        if previous and not run.equation and not previous.equation and _style(previous) == _style(run):
            runs[-1] = _Run(previous.text + run.text, *_style(run))  # Notion splits runs; `**a****b**` would break
        else:
            runs.append(run)
    return runs


def _style(run: _Run) -> tuple[bool, bool, bool, bool, str | None]:
    return run.bold, run.italic, run.strikethrough, run.code, run.href


def _mention_href(item: dict[str, Any]) -> str | None:
    mention = item.get("mention") or {}
    kind = mention.get("type")
    if kind == "user" or kind == "date" or kind == "template_mention":
        return None  # shown as their text ("@Ada Lovelace", "2025-02-01 → 2025-02-28")
    if kind == "link_preview":
        return (mention.get("link_preview") or {}).get("url")
    if kind == "link_mention":
        return (mention.get("link_mention") or {}).get("href")
    return None  # page/database mentions carry their notion.so URL in `href`


def _render_run(run: _Run, single_line: bool) -> str:
    if run.equation:
        return f"${math_source(run.text)}$" if run.text.strip() else ""
    if run.code:
        body = code_span(run.text) if run.text else ""
    else:
        text = run.text.replace("\r\n", "\n")
        if single_line:
            text = " ".join(text.split("\n"))
        body = escape_text(text).replace("\n", "  \n")  # a Notion line break is a Markdown hard break
    stripped = body.strip(" ")
    if not stripped:
        return body
    lead = body[: len(body) - len(body.lstrip(" "))]
    trail = body[len(body.rstrip(" ")) :]
    # Emphasis markers must touch non-space text, so spaces move outside them.
    for on, marker in ((run.strikethrough, "~~"), (run.italic, "*"), (run.bold, "**")):
        if on:
            stripped = f"{marker}{stripped}{marker}"
    return f"{lead}{stripped}{trail}"


def render_rich_text(
    items: list[dict[str, Any]] | None, *, single_line: bool = False, links: bool = True
) -> RenderedText:
    """Markdown for `items`; `single_line` turns line breaks into spaces (headings, table cells), and
    `links=False` keeps link texts only (for a caption that becomes a link's own text: links do not nest)."""
    parts: list[str] = []
    refused: list[str] = []
    for run in _runs(items or []):
        body = _render_run(run, single_line)
        if links and run.href and body.strip():
            if is_safe_link(run.href):
                body = f"[{body}]({safe_url(run.href)})"
            else:
                refused.append(run.href)
        if parts and parts[-1].endswith("`") and body.startswith("`"):
            parts.append(" ")  # touching code spans would merge their fences into one longer, unclosed one
        parts.append(body)
    return RenderedText(_escape_line_starts("".join(parts).strip()), tuple(refused))


def rich_text_to_markdown(items: list[dict[str, Any]]) -> str:
    """Markdown for Notion rich text; refused links are left as their plain text."""
    return render_rich_text(items).markdown


def rich_text_to_plain(items: list[dict[str, Any]] | None) -> str:
    """The text a reader sees, without formatting: for titles, objectives and property values."""
    return "".join(item.get("plain_text") or _raw_text(item) for item in items or [])


def _raw_text(item: dict[str, Any]) -> str:
    if item.get("type") == "text":
        return str((item.get("text") or {}).get("content", ""))
    if item.get("type") == "equation":
        return str((item.get("equation") or {}).get("expression", ""))
    return ""
