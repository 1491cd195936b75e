"""Backup: the raw Notion JSON of every Module Library page and its block tree, one file per page."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.module.canonical import write_atomically
from pipeline.notion.client import NotionGateway
from pipeline.settings import Settings

log = logging.getLogger(__name__)
_SIGNED = re.compile(r"(^|&)x-amz-[a-z-]+=", re.IGNORECASE)


@dataclass(frozen=True)
class BackupResult:
    """What a backup wrote."""

    out_dir: Path
    pages: int
    blocks: int

    ok = True

    def lines(self) -> list[str]:
        return [self.summary()]

    def summary(self) -> str:
        """One line for people: how much was saved, and where."""
        return f"backed up {self.pages} page(s) and {self.blocks} block(s) into {self.out_dir}"


def default_backup_dir() -> Path:
    """data/backups/notion/<UTC date>: one folder a day."""
    return Path("data/backups/notion") / datetime.now(UTC).date().isoformat()


def backup_library(settings: Settings, out_dir: Path | None = None) -> BackupResult:
    """Write `<page_id>.json` = {"page": <page object>, "blocks": [<block, children under "children">]} per page.

    Every page of the data source, whatever its Status; the gateway paces, retries and raises NotionError.
    """
    out_dir = out_dir or default_backup_dir()
    pages = blocks = 0
    with NotionGateway(settings) as notion:
        for page in notion.query_pages(status=None):
            tree = notion.fetch_block_tree(page["id"])
            document = without_signed_urls({"page": page, "blocks": tree})
            text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
            write_atomically(out_dir / f"{page['id']}.json", text)  # ConfigError naming --out if it is no folder
            count = _count_blocks(tree)
            log.info("backed up page %s (%d blocks)", page["id"], count)
            pages, blocks = pages + 1, blocks + count
    return BackupResult(out_dir=out_dir, pages=pages, blocks=blocks)


def without_signed_urls(value: Any) -> Any:
    """`value` with the query string cut off every signed URL (one whose query carries X-Amz-* parameters).

    Notion-hosted files come as S3 URLs holding temporary AWS credentials and a signature: secret scanning and
    push protection flag them, and they expire within the hour anyway. The file's address stays.
    """
    if isinstance(value, dict):
        return {key: without_signed_urls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_signed_urls(item) for item in value]
    if isinstance(value, str) and "?" in value and _SIGNED.search(value.split("?", 1)[1]):
        return value.split("?", 1)[0]
    return value


def _count_blocks(tree: list[dict[str, Any]]) -> int:
    return sum(1 + _count_blocks(block.get("children", [])) for block in tree)
