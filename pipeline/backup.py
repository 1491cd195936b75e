"""Backup: the raw Notion JSON of every Module Library page and its block tree, one file per page."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from notion_client import Client
from notion_client.errors import NotionClientErrorBase
from notion_client.helpers import iterate_paginated_api

from pipeline.errors import NotionError
from pipeline.settings import Settings

log = logging.getLogger(__name__)

# Notion allows about 3 requests a second per integration; stay just under it rather than lean on 429 retries.
NOTION_MIN_INTERVAL = 0.35


@dataclass(frozen=True)
class BackupResult:
    """What a backup wrote."""

    out_dir: Path
    pages: int
    blocks: int

    def summary(self) -> str:
        """One line for people: how much was saved, and where."""
        return f"backed up {self.pages} page(s) and {self.blocks} block(s) into {self.out_dir}"


class _PacedCalls:
    """Calls Notion no faster than one request per `interval` seconds."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last = 0.0

    def __call__(self, function: Callable[..., Any], **kwargs: Any) -> Any:
        wait = self._last + self.interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        return function(**kwargs)


def backup_pages(settings: Settings, out_dir: Path, min_interval: float = NOTION_MIN_INTERVAL) -> BackupResult:
    """Write `<page_id>.json` = {"page": <page object>, "blocks": [<block, with "children" when it has any>]}."""
    settings.require("notion_token")
    client = Client(auth=settings.notion_token, base_url=settings.notion_base_url)
    paced = _PacedCalls(min_interval)
    try:
        data_source_id = _resolve_data_source_id(client, settings, paced)
        out_dir.mkdir(parents=True, exist_ok=True)
        pages = blocks = 0
        for page in _paginate(paced, client.data_sources.query, data_source_id=data_source_id, page_size=100):
            tree, count = _block_tree(client, paced, page["id"])
            document = {"page": page, "blocks": tree}
            path = out_dir / f"{page['id']}.json"
            path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            log.info("backed up page %s (%d blocks)", page["id"], count)
            pages, blocks = pages + 1, blocks + count
    except NotionClientErrorBase as exc:
        status = getattr(exc, "status", None)
        raise NotionError(
            f"Notion refused the backup: {exc} (check NOTION_TOKEN and that the Module Library is shared "
            "with the integration; see docs/operations.md)",
            code=str(getattr(exc, "code", "")) or None,
            status=status,
        ) from exc
    except httpx.HTTPError as exc:
        raise NotionError(f"could not reach Notion at {settings.notion_base_url}: {exc}") from exc
    return BackupResult(out_dir=out_dir, pages=pages, blocks=blocks)


def _paginate(paced: _PacedCalls, function: Callable[..., Any], **kwargs: Any) -> Iterator[Any]:
    return iterate_paginated_api(lambda **kw: paced(function, **kw), **kwargs)


def _resolve_data_source_id(client: Client, settings: Settings, paced: _PacedCalls) -> str:
    if settings.notion_data_source_id:
        return settings.notion_data_source_id
    if settings.notion_database_id:
        database = paced(client.databases.retrieve, database_id=settings.notion_database_id)
        sources = database.get("data_sources") or []
        if sources:
            return str(sources[0]["id"])
        raise NotionError(f"Notion database {settings.notion_database_id} has no data source to back up")
    settings.require("notion_data_source_id")  # raises ConfigError naming the variable
    raise AssertionError("unreachable")


def _block_tree(client: Client, paced: _PacedCalls, block_id: str) -> tuple[list[dict[str, Any]], int]:
    """The children of `block_id`, each with its own children nested under "children"; and their count."""
    tree: list[dict[str, Any]] = []
    count = 0
    for block in _paginate(paced, client.blocks.children.list, block_id=block_id, page_size=100):
        count += 1
        # A sub-page's content belongs to the module page, so it is kept; an inline database is not page content.
        if block.get("has_children") and block.get("type") != "child_database":
            children, nested = _block_tree(client, paced, block["id"])
            block = {**block, "children": children}
            count += nested
        tree.append(block)
    return tree, count
