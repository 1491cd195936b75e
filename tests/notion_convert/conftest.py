"""Fixtures for the Notion conversion tests: the recordings under tests/data/notion/ and small block builders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

NOTION_DATA = Path(__file__).resolve().parent.parent / "data" / "notion"


def load_recording(name: str) -> Any:
    """One recorded Notion response (or the converter cases) from tests/data/notion/."""
    return json.loads((NOTION_DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def converter_cases() -> list[dict[str, Any]]:
    """The 79 notion-md-converter pairs {fixture_group, case, blocks, expected_markdown}."""
    return load_recording("notion-md-converter-cases.json")
