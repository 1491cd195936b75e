"""Small builders for module documents used across tests (valid by default; tests change one thing)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.module.canonical import write_module
from pipeline.module.document import load_module
from tests.paths import SAMPLE_MODULES

_SAMPLE = json.loads((SAMPLE_MODULES / "lab-safety-101.json").read_text(encoding="utf-8"))


def sample_module(module_id: str = "lab-safety-101", **overrides: Any) -> dict[str, Any]:
    """A valid module (the lab-safety-101 sample) with `module_id` and top-level `overrides` applied."""
    data = copy.deepcopy(_SAMPLE)
    data["module_id"] = module_id
    data.update(overrides)
    return data


def text_section(section_id: str, number: int, content: str = "Some **Markdown**.") -> dict[str, Any]:
    """A valid text section."""
    return {
        "section_id": section_id,
        "section_number": number,
        "section_type": "text",
        "title": section_id.replace("-", " ").title(),
        "content": content,
        "media_url": None,
        "duration_seconds": 60,
    }


def write_json(path: Path, data: Any) -> Path:
    """Write `data` as pretty JSON (not necessarily canonical) and return the path."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def edit_module(path: Path, **changes: Any) -> dict[str, Any]:
    """Rewrite a module file with top-level `changes`; returns the new data."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return data


def export_edit(modules_dir: Path, module_id: str, change: Callable[[dict[str, Any]], None]) -> Path:
    """Change a module file the way a new export would: content edited, revision raised."""
    path = modules_dir / f"{module_id}.json"
    data = json.loads(json.dumps(load_module(path).data))
    change(data)
    data["metadata"]["revision"] += 1
    write_module(path, data)
    return path
