"""Small builders for block specs the Notion fake turns into stored blocks (`NotionFake.add_page(blocks=...)`)."""

from __future__ import annotations

from typing import Any

from tests.fakes.notion_objects import rich_text

BlockSpec = dict[str, Any]


def _text_block(block_type: str, text: str, children: list[BlockSpec] | None = None, **extra: Any) -> BlockSpec:
    return {
        "type": block_type,
        "payload": {"rich_text": rich_text(text), "color": "default", **extra},
        "children": children or [],
    }


def paragraph(text: str, children: list[BlockSpec] | None = None) -> BlockSpec:
    return _text_block("paragraph", text, children)


def heading(level: int, text: str) -> BlockSpec:
    return _text_block(f"heading_{level}", text, is_toggleable=False)


def bulleted(text: str, children: list[BlockSpec] | None = None) -> BlockSpec:
    return _text_block("bulleted_list_item", text, children)


def numbered(text: str, children: list[BlockSpec] | None = None) -> BlockSpec:
    return _text_block("numbered_list_item", text, children)


def toggle(text: str, children: list[BlockSpec] | None = None) -> BlockSpec:
    return _text_block("toggle", text, children)


def quote(text: str) -> BlockSpec:
    return _text_block("quote", text)


def to_do(text: str, checked: bool = False) -> BlockSpec:
    return _text_block("to_do", text, checked=checked)


def code(text: str, language: str = "plain text") -> BlockSpec:
    return {
        "type": "code",
        "payload": {"caption": [], "rich_text": rich_text(text), "language": language},
        "children": [],
    }


def divider() -> BlockSpec:
    return {"type": "divider", "payload": {}, "children": []}


def image_external(url: str) -> BlockSpec:
    return {"type": "image", "payload": {"caption": [], "type": "external", "external": {"url": url}}, "children": []}


def video_external(url: str) -> BlockSpec:
    return {"type": "video", "payload": {"caption": [], "type": "external", "external": {"url": url}}, "children": []}


def hosted_file(block_type: str, content: bytes, name: str, content_type: str) -> BlockSpec:
    """An image/video/file block whose file Notion hosts (the fake serves it from an expiring signed URL)."""
    return {
        "type": block_type,
        "payload": {"caption": [], "type": "file", "file": {}},
        "children": [],
        "file": {"content": content, "name": name, "content_type": content_type},
    }


def synced_original(children: list[BlockSpec], key: str) -> BlockSpec:
    """An original synced block; `key` names it so a reference elsewhere can point at it."""
    return {"type": "synced_block", "payload": {"synced_from": None}, "children": children, "key": key}


def synced_reference(key: str) -> BlockSpec:
    return {
        "type": "synced_block",
        "payload": {"synced_from": {"type": "block_id", "block_id": None}},
        "children": [],
        "refers_to": key,
    }


def unsupported(block_type: str = "ai_block") -> BlockSpec:
    """A block type the converter does not know (Notion returns such as `unsupported` or new types)."""
    return {"type": block_type, "payload": {}, "children": []}
