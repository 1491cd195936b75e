"""What Markdown a module may contain: CommonMark + tables + strikethrough, no raw HTML, safe links only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# What one Markdown text may hold, so that parsing it takes bounded time: markdown-it-py spends ~10-20 µs on
# each character that can be markup (a token, a delimiter, a line) against well under 1 µs on plain text. With
# these limits the costliest section validate accepts parses in ~0.15 s (benchmarks/preview_hostile.py), so
# preview time grows with the file. Validate and preview both apply them (limit_issue).
MAX_MARKUP = 10_000
_MARKUP_CHARACTERS = "[]*_`~<&\\|\n"
# A '[' makes the parser read on to its ']' or, when there is none, to the end of the paragraph, token by
# token: a thousand unclosed ones in a long paragraph cost a thousand readings of it. bracket_scan() estimates
# the characters read this way (erring high), and this bounds it (~0.1 s for the densest text).
MAX_BRACKET_SCAN = 300_000
# Where an inline text (a paragraph, a list item's or heading's text) surely ends: a blank line, or a line that
# starts a list item, heading, quote or fence (each interrupts a paragraph). Cutting less often only errs high.
_BLOCK_BREAK = re.compile(r"\n(?:[ \t]*\n|(?= {0,3}(?:[-+*] |#{1,6}[ \t]|>|1[.)] |```|~~~)))")
_BRACKET_OR_ESCAPE = re.compile(r"\\.|[\[\]]", re.DOTALL)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]+")


@dataclass(frozen=True)
class MarkdownIssue:
    """One policy violation; `line` counts from 1 within the Markdown text."""

    line: int | None
    message: str


@lru_cache(maxsize=1)
def policy_parser() -> MarkdownIt:
    """A parser that keeps raw HTML and every link as tokens, so the policy can see and refuse them."""
    from markdown_it import MarkdownIt  # imported when first needed: a deploy of unchanged files never is

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    # Emphasis cannot hide HTML or links; skipping it makes the policy check about a third faster.
    md.disable(["emphasis", "strikethrough"])
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # we judge links ourselves, and say why
    return md


def link_scheme(url: str) -> str | None:
    """The URL's scheme as a browser would read it (ignoring case, spaces and control characters)."""
    match = _SCHEME.match(_INVISIBLE.sub("", url).lower())
    return match.group(1) if match else None


def is_safe_link(url: str) -> bool:
    """http(s), mailto, or a relative / fragment / /assets/ link."""
    scheme = link_scheme(url)
    return scheme is None or scheme in SAFE_SCHEMES


# A link destination starts after '(' (inline) or ':' (definition), once whitespace is dropped.
_DESTINATION_SCHEME = re.compile(r"(?<=[(:])[a-z][a-z0-9+.\-]*:", re.IGNORECASE)


def is_plainly_safe(text: str) -> bool:
    """True when `text` cannot hold raw HTML, an unsafe link or an /assets/ image, so parsing can be skipped.

    Raw HTML and autolinks need '<'; entities and backslash escapes are the only ways Markdown turns other
    characters into a link's scheme, so without '&' and '\\' every scheme a link could have appears literally
    (after removing the invisible characters browsers ignore) as a `word:` run right after '(' or ':'.
    tests/validate/test_property.py checks this shortcut against the parser.
    """
    if "[" not in text and "<" not in text:
        return True  # no link, image, link definition, autolink or HTML at all
    if "<" in text or "&" in text or "\\" in text or "/assets/" in text:
        return False
    return all(m.group()[:-1].lower() in SAFE_SCHEMES for m in _DESTINATION_SCHEME.finditer(_INVISIBLE.sub("", text)))


def _walk(tokens: list[Token]) -> Iterator[tuple[Token, int | None]]:
    for token in tokens:
        line = token.map[0] + 1 if token.map else None
        yield token, line
        if token.children:
            for child in token.children:
                yield child, line


@dataclass(frozen=True)
class MarkdownInspection:
    """What the policy found in one Markdown text, and the images it refers to."""

    issues: tuple[MarkdownIssue, ...]
    image_sources: tuple[str, ...]


def bracket_scan(text: str) -> tuple[int, int]:
    """(characters the parser reads looking for the ']' of each '[', the 0-based offset of the costliest '[').

    Linear: one pass over the brackets and escapes. Within each inline text a '[' costs the distance to its
    matching ']', or to the text's end when unmatched; where code spans or '<' could hide a ']' from the
    parser, every '[' is taken as unmatched.
    """
    total, worst, worst_at = 0, -1, 0
    start = 0
    for end in [m.start() for m in _BLOCK_BREAK.finditer(text)] + [len(text)]:
        if "[" in text[start:end]:
            chunk = text[start:end]
            hidden = "`" in chunk or "<" in chunk
            open_at: list[int] = []
            for match in _BRACKET_OR_ESCAPE.finditer(chunk):
                char = match.group()
                if char == "[":
                    open_at.append(match.start())
                elif char == "]" and open_at and not hidden:
                    opened = open_at.pop()
                    total += match.start() - opened
            for opened in open_at:
                cost = len(chunk) - opened
                total += cost
                if cost > worst:
                    worst, worst_at = cost, start + opened
        start = end
    return total, worst_at


def limit_issue(text: str) -> MarkdownIssue | None:
    """Why `text` is too costly to parse (too much markup, or unclosed brackets), or None. Linear in `text`."""
    markup = sum(text.count(char) for char in _MARKUP_CHARACTERS)
    if markup > MAX_MARKUP:
        return MarkdownIssue(
            None,
            f"Markdown has {markup:,} characters that can be markup ([ ] * _ ` ~ < & \\ | and line breaks); "
            f"a section may have at most {MAX_MARKUP:,}: split it into several sections",
        )
    if "[" in text:
        scanned, at = bracket_scan(text)
        if scanned > MAX_BRACKET_SCAN:
            return MarkdownIssue(
                text.count("\n", 0, at) + 1,
                f"Markdown has '[' that are never closed by ']' in the same paragraph (costing {scanned:,} "
                f"characters to parse; at most {MAX_BRACKET_SCAN:,}): close each one, write \\[ for a plain "
                "bracket, or split long paragraphs",
            )
    return None


def inspect_markdown(text: str) -> MarkdownInspection:
    """Parse once; report raw HTML and links or images with an unsafe scheme; list image sources.

    Text over the limits is refused unparsed (parsing it is what would take long), before the fast path.
    """
    too_costly = limit_issue(text)
    if too_costly is not None:
        return MarkdownInspection((too_costly,), ())
    if is_plainly_safe(text):
        return MarkdownInspection((), ())
    try:
        tokens = policy_parser().parse(text)
    except Exception as exc:
        return MarkdownInspection((MarkdownIssue(None, f"Markdown could not be parsed: {exc}"),), ())
    issues: list[MarkdownIssue] = []
    images: list[str] = []
    html_lines: set[int | None] = set()
    for token, line in _walk(tokens):
        if token.type in ("html_block", "html_inline"):
            if line in html_lines:
                continue  # one report per line: <b>x</b> is one thing to fix, not two
            html_lines.add(line)
            snippet = token.content.strip().splitlines()[0][:60] if token.content.strip() else token.content
            issues.append(MarkdownIssue(line, f"raw HTML is not allowed ({snippet!r}); use Markdown formatting"))
        elif token.type in ("link_open", "image"):
            attr = "href" if token.type == "link_open" else "src"
            url = str(token.attrs.get(attr, ""))
            if token.type == "image":
                images.append(url)
            if not is_safe_link(url):
                what = "link" if token.type == "link_open" else "image"
                message = f"{what} to {url[:60]!r} is not allowed: use http(s), mailto or a relative link"
                issues.append(MarkdownIssue(line, message))
    return MarkdownInspection(tuple(issues), tuple(images))
