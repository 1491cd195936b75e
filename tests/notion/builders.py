"""Small builders for raw Notion blocks and rich text, in the API's own shape."""

from __future__ import annotations

import uuid
from typing import Any

_counter = iter(range(1, 10**9))


def new_id() -> str:
    """A fresh, deterministic block id in Notion's dashed UUID form (spread like Notion's random ids)."""
    return str(uuid.UUID(int=(next(_counter) * 0x9E3779B97F4A7C15F39CC0605CEDC835) % 2**128))


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


PAGE_ID = "7c1d2e3f-4a5b-46c7-d8e9-f0a1b2c3d4e5"
SAFETY_PAGE_ID = "11111111-2222-3333-4444-555555555555"


def _select(name: str | None) -> dict[str, Any]:
    return {"type": "select", "select": {"id": new_id(), "name": name, "color": "default"} if name else None}


def _rich_text(kind: str, value: str) -> dict[str, Any]:
    return {"type": kind, kind: [text(value)] if value else []}


def person(name: str, email: str = "lead@example.edu") -> dict[str, Any]:
    """A Notion user as a people property lists it."""
    return {"object": "user", "id": new_id(), "name": name, "type": "person", "person": {"email": email}}


def library_page(**changes: Any) -> dict[str, Any]:
    """A Module Library page in the API's shape (pages.retrieve), for the Equipment Tour module.

    Keyword arguments replace properties by name with underscores for spaces (Module_ID="x"); None removes one.
    """
    properties: dict[str, Any] = {
        "Module Name": _rich_text("title", "Equipment Tour"),
        "Module ID": _rich_text("rich_text", "equipment-tour"),
        "Status": {"type": "status", "status": {"id": new_id(), "name": "Ready", "color": "green"}},
        "Description": _rich_text("rich_text", "A guided tour of the electronics bench."),
        "Category": _select("Equipment"),
        "Estimated Minutes": {"type": "number", "number": 15},
        "Tags": {
            "type": "multi_select",
            "multi_select": [{"id": new_id(), "name": n} for n in ("Equipment", "On Boarding")],
        },
        "University": _select("CPP"),
        "Cohort": _select("Fall 2025"),
        "Content Source": _select("Form"),
        "Target Audience": _select("Incoming Students"),
        "Team Lead": {"type": "people", "people": [person("María López")]},
        "Owner": {"type": "people", "people": []},
        "Prerequisites": {"type": "relation", "relation": [{"id": SAFETY_PAGE_ID}], "has_more": False},
        "GitHub Branch/PR": {"type": "url", "url": None},
        "Last Updated": {"type": "date", "date": None},
        "Related Task": {"type": "relation", "relation": [], "has_more": False},
        "Experiment": _rich_text("rich_text", ""),
        "Experiment Status": {"type": "select", "select": None},
    }
    for key, value in changes.items():
        name = key.replace("_", " ").replace("GitHub Branch PR", "GitHub Branch/PR")
        if value is None:
            properties.pop(name, None)
        elif isinstance(value, dict):
            properties[name] = value
        elif isinstance(value, str) and properties[name]["type"] in ("title", "rich_text"):
            properties[name] = _rich_text(properties[name]["type"], value)
        elif isinstance(value, str):
            properties[name] = _select(value)
        else:
            properties[name] = {**properties[name], properties[name]["type"]: value}
    for prop in properties.values():
        prop.setdefault("id", new_id()[:4])
    return {
        "object": "page",
        "id": PAGE_ID,
        "last_edited_time": "2025-11-26T14:30:00.000Z",
        "parent": {"type": "data_source_id", "data_source_id": "2f26ee68-df30-4251-aad4-8ddc420cba3d"},
        "properties": properties,
        "url": "https://www.notion.so/Equipment-Tour-7c1d2e3f4a5b46c7d8e9f0a1b2c3d4e5",
    }


def library_data_source(**changes: Any) -> dict[str, Any]:
    """A Module Library data source (data_sources.retrieve) built from library_page's property types."""
    properties: dict[str, Any] = {}
    for name, prop in library_page()["properties"].items():
        kind = prop["type"]
        config: dict[str, Any] = {}
        if kind in ("status", "select"):
            config = {
                "options": [{"id": new_id(), "name": n, "color": "default"} for n in ("Drafting", "Ready", "Live")]
            }
        properties[name] = {"id": prop["id"], "name": name, "type": kind, kind: config}
    for name, value in changes.items():
        if value is None:
            properties.pop(name)
        else:
            properties[name] = value
    return {"object": "data_source", "id": "2f26ee68-df30-4251-aad4-8ddc420cba3d", "properties": properties}
