"""Small builders for module documents used across tests (valid by default; tests change one thing)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
_SAMPLE = json.loads((REPO_ROOT / "data" / "modules" / "lab-safety-101.json").read_text(encoding="utf-8"))


def sample_module(module_id: str = "lab-safety-101", **overrides: Any) -> dict[str, Any]:
    """A valid module (the lab-safety-101 sample) with `module_id` and top-level `overrides` applied."""
    data = copy.deepcopy(_SAMPLE)
    data["module_id"] = module_id
    data.update(overrides)
    return data


def text_section(section_id: str, number: int, content: str = "Some **Markdown**.") -> dict[str, Any]:
    """A valid text section."""
    return {"section_id": section_id, "section_number": number, "section_type": "text",
            "title": section_id.replace("-", " ").title(), "content": content, "media_url": None,
            "duration_seconds": 60}


def write_json(path: Path, data: Any) -> Path:
    """Write `data` as pretty JSON (not necessarily canonical) and return the path."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
