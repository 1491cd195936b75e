"""The module format's schema: where it is (data/schemas/module-schema.json), its section types and the key that
holds bookkeeping rather than content."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "data" / "schemas" / "module-schema.json"
# The section types, in the schema's order (its `section_type` enum; tests/module/test_document.py holds them equal).
SECTION_TYPES = ("text", "video", "image", "interactive", "quiz")
# Keys outside the content: changing only these deploys nothing and opens no PR.
BOOKKEEPING_KEY = "metadata"


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The module JSON Schema (data/schemas/module-schema.json)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
