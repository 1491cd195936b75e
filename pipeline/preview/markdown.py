"""Markdown for the reviewer preview: markdown-it-py with raw HTML off, unsafe links as text, assets rewritten."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any

from markdown_it import MarkdownIt

from pipeline.module.assets import is_local_asset
from pipeline.module.markdown_policy import is_safe_link, limit_issue, link_scheme


@dataclass(frozen=True)
class PreviewAsset:
    """A local `/assets/…` file as a page sees it: its relative href (None when missing) and pixel size."""

    href: str | None
    size: tuple[int, int] | None = None


def esc(value: Any) -> str:
    """Any value as escaped text (quotes too, so it is safe inside attributes)."""
    return escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False), quote=True)


def _render_image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    if env.get("show_images") and link_scheme(src) in (None, "http", "https"):
        # A student's page shows what the runtime resolved (a media URL); its CSP says where images may come from.
        return f'<img src="{esc(src)}" alt="{esc(alt)}" loading="lazy" decoding="async">'
    asset = env.get("assets", {}).get(src) if is_local_asset(src) else None
    if asset is not None and asset.href:
        return f'<img src="{esc(asset.href)}" alt="{esc(alt)}">'
    why = "missing file" if is_local_asset(src) else "external image, not loaded in the preview"
    return f'<span class="external">[image: {esc(alt)} — {esc(src)} ({why})]</span>'


def _render_link_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if not is_safe_link(str(token.attrGet("href") or "")):  # validateLink already refused it; belt and braces
        token.attrSet("href", "#")
    token.attrSet("rel", "noopener noreferrer nofollow")
    return self.renderToken(tokens, idx, options, env)


def _render_heading(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    # The page has h1 (module) and h2 (sections): a section's own headings start at h3.
    token.tag = f"h{min(6, int(token.tag[1:]) + 2)}"
    return self.renderToken(tokens, idx, options, env)


@lru_cache(maxsize=1)
def preview_markdown() -> MarkdownIt:
    """The parser students' pages should use too: CommonMark + tables + strikethrough, no raw HTML, safe links."""
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.validateLink = is_safe_link  # type: ignore[method-assign]  # an unsafe link or image stays plain text
    md.add_render_rule("image", _render_image)
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("heading_open", _render_heading)
    md.add_render_rule("heading_close", _render_heading)
    return md


# How much of a text over the limits the preview shows, as plain text.
SHOWN_UNPARSED = 2_000


def render_markdown(text: str, assets: Mapping[str, PreviewAsset] | None = None, *, show_images: bool = False) -> str:
    """Markdown to safe HTML; `/assets/…` images point at the copied files, or with `show_images` (a student's
    page) every image with a safe URL is shown from that URL.

    Text over the policy's limits (which validate refuses) is not parsed: its start is shown as plain text
    with the reason, so a hostile file costs the preview no more than its length.
    """
    too_costly = limit_issue(text)
    if too_costly is not None:
        shown = text[:SHOWN_UNPARSED] + ("…" if len(text) > SHOWN_UNPARSED else "")
        return f'<p class="external">Not rendered: {esc(too_costly.message)}.</p>\n<pre>{esc(shown)}</pre>\n'
    return preview_markdown().render(text, {"assets": assets or {}, "show_images": show_images})
