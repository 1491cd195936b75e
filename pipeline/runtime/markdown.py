"""POST /api/v1/markdown: module text as safe HTML, with the reviewer preview's Markdown policy.

A front end shows exactly what a reviewer saw: CommonMark with tables and strikethrough, raw HTML shown as text,
unsafe links left as text, headings shifted under the page's own. One difference: an image is shown from its URL
(the runtime resolves stored media to URLs), where the reviewer preview shows only the pull request's files.
Rendering on the server keeps one parser for the preview and for students, instead of a second one in JavaScript
that would drift from it.
"""

from __future__ import annotations

from typing import Any

from pipeline.preview.markdown import render_markdown
from pipeline.runtime.errors import unprocessable

MAX_TEXTS = 200  # a module's sections, with room to spare; the 1 MiB body limit bounds the total size


def parse_texts(body: Any) -> list[str]:
    """The body `{"texts": ["# Markdown", …]}` (1 to 200 strings), or a 422 naming what is wrong."""
    if not isinstance(body, dict) or set(body) != {"texts"} or not isinstance(body["texts"], list):
        raise unprocessable(f'send {{"texts": ["# Markdown", …]}} with 1 to {MAX_TEXTS} strings')
    texts: list[Any] = body["texts"]
    if not 1 <= len(texts) <= MAX_TEXTS:
        raise unprocessable(f"texts holds 1 to {MAX_TEXTS} strings, not {len(texts)}")
    for number, value in enumerate(texts, start=1):
        if not isinstance(value, str):
            raise unprocessable(f"texts item {number} is not a string")
    return texts


def render_texts(texts: list[str]) -> list[str]:
    """Each text as HTML, in order; images shown from their URLs. Text over the policy's limits is shown as plain
    text, never parsed."""
    return [render_markdown(text, show_images=True) for text in texts]
