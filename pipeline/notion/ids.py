"""Notion object ids: one spelling to compare them by, and the web address of a page."""

from __future__ import annotations

NOTION_WEB_ROOT = "https://www.notion.so"


def normalise_page_id(page_id: str) -> str:
    """A page (or block, database, data source) id without dashes, lowercase: Notion writes ids both ways."""
    return page_id.replace("-", "").lower()


def notion_page_url(page_id: str, web_root: str = NOTION_WEB_ROOT) -> str:
    """The web address of a page or database id (the id without dashes)."""
    return f"{web_root.rstrip('/')}/{page_id.replace('-', '')}"
