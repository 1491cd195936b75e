"""Small builders for raw Notion blocks and rich text, in the API's own shape."""

from __future__ import annotations

import uuid
from typing import Any

_counter = iter(range(1, 10**9))


def new_id() -> str:
    """A fresh block id in Notion's dashed UUID form."""
    return str(uuid.UUID(int=next(_counter) * 0x1F1F1F1F1F1F))


def text(content: str, *, link: str | None = None, **annotations: bool) -> dict[str, Any]:
    """One rich-text item of type text."""
    notes = {"bold": False, "italic": False, "strikethrough": False, "underline": False, "code": False}
    notes.update(annotations)
    notes["color"] = "default"
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": link} if link else None},
        "annotations": notes,
        "plain_text": content,
        "href": link,
    }


def block(
    kind: str,
    data: dict[str, Any] | None = None,
    children: list[dict[str, Any]] | None = None,
    *,
    block_id: str | None = None,
) -> dict[str, Any]:
    """A raw block; `children` (when given) are carried under the extra key the fetcher uses."""
    raw: dict[str, Any] = {
        "object": "block",
        "id": block_id or new_id(),
        "type": kind,
        "has_children": bool(children),
        kind: data if data is not None else {},
    }
    if children is not None:
        raw["children"] = children
    return raw


def rich(
    kind: str,
    *items: dict[str, Any] | str,
    children: list[dict[str, Any]] | None = None,
    block_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A block whose payload is rich text (paragraph, heading_2, bulleted_list_item, quote…)."""
    rich_text = [text(i) if isinstance(i, str) else i for i in items]
    return block(kind, {"rich_text": rich_text, "color": "default", **extra}, children, block_id=block_id)


def code(source: str, language: str = "json", *, block_id: str | None = None) -> dict[str, Any]:
    """A code block."""
    return block("code", {"rich_text": [text(source)], "language": language, "caption": []}, block_id=block_id)


def media(kind: str, url: str, *, hosted: bool = False, caption: str = "", block_id: str | None = None) -> dict:
    """An image/video/file/pdf block, Notion-hosted (`hosted`) or external."""
    source = (
        {"type": "file", "file": {"url": url, "expiry_time": "2025-01-01T01:00:00.000Z"}}
        if hosted
        else {"type": "external", "external": {"url": url}}
    )
    return block(kind, {"caption": [text(caption)] if caption else [], **source}, block_id=block_id)
