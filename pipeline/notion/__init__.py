"""Everything Notion: the API client, the conversion of pages and block trees into module documents, the Module
Library's properties (read and written), and comments to the team lead.

`client` (NotionGateway: pacing, retries, errors) is the only module that talks to Notion; `rich_text`, `blocks` and
`page_mapping` are pure conversion; `properties` reads a page's columns, `page_updates` shapes what writeback writes;
`assets` downloads Notion-hosted files; `feedback` comments on pages, in the words `wording` finds (columns,
headings, numbers from 1); `settings_help` eases quiz answers and hotspots; `check` is `notion check`.
The names below are imported on first use, so importing `pipeline.notion.ids` does not load the Notion SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.notion.blocks import blocks_to_markdown
    from pipeline.notion.check import check_module_library
    from pipeline.notion.client import NotionGateway
    from pipeline.notion.page_mapping import page_to_module
    from pipeline.notion.rich_text import rich_text_to_markdown, rich_text_to_plain

_LAZY = {
    "NotionGateway": "pipeline.notion.client",
    "blocks_to_markdown": "pipeline.notion.blocks",
    "check_module_library": "pipeline.notion.check",
    "page_to_module": "pipeline.notion.page_mapping",
    "rich_text_to_markdown": "pipeline.notion.rich_text",
    "rich_text_to_plain": "pipeline.notion.rich_text",
}
__all__ = [
    "NotionGateway",
    "blocks_to_markdown",
    "check_module_library",
    "page_to_module",
    "rich_text_to_markdown",
    "rich_text_to_plain",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
