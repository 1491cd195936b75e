"""Fixtures for the Notion side: a seeded Module Library in the fake and settings pointing at it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline.settings import Settings
from tests.notion.recordings import load_recording


@dataclass
class Library:
    """The fake's Module Library and settings that reach it (fast pacing: the fake's own limit is off)."""

    database_id: str
    data_source_id: str
    settings: Settings


@pytest.fixture
def library(notion_fake, module_tree: Path) -> Library:
    database_id, data_source_id = notion_fake.add_module_library()
    settings = Settings(
        notion_token=notion_fake.token,
        notion_data_source_id=data_source_id,
        notion_base_url=notion_fake.base_url,
        modules_dir=module_tree,
        media_dir=module_tree.parent.parent / "media",
        notion_requests_per_second=200.0,
        notion_timeout_seconds=5.0,
        notion_retry_seconds=0.01,
    )
    return Library(database_id, data_source_id, settings)


@pytest.fixture(scope="session")
def converter_cases() -> list[dict[str, Any]]:
    """The 79 notion-md-converter pairs {fixture_group, case, blocks, expected_markdown}."""
    return load_recording("notion-md-converter-cases.json")
