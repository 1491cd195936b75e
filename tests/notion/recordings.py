"""Recorded Notion responses and converter cases from tests/data/notion/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NOTION_DATA = Path(__file__).resolve().parent.parent / "data" / "notion"


def load_recording(name: str) -> Any:
    """One recorded Notion response (or the converter cases) from tests/data/notion/."""
    return json.loads((NOTION_DATA / name).read_text(encoding="utf-8"))
