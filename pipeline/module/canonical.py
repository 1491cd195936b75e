"""The canonical form of a module file (keys in schema order, 2-space indent, one trailing newline), its content
hash, and writing it atomically: an unchanged module is written byte-identical, or not at all."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.module.schema import BOOKKEEPING_KEY, load_schema


@lru_cache(maxsize=1)
def _key_orders() -> dict[str, tuple[str, ...]]:
    schema = load_schema()
    orders = {"module": tuple(schema["properties"])}
    for name, definition in schema["$defs"].items():
        if "properties" in definition:
            orders[name] = tuple(definition["properties"])
    return orders


_CONTENT_DEF = {"interactive": "interactive_content", "quiz": "quiz_content"}
_CHILD_DEFS = {
    ("module", "metadata"): "metadata",
    ("interactive_content", "completion_criteria"): "completion_criteria",
    ("experiment", "metric"): "experiment_metric",
}
_LIST_DEFS = {
    ("module", "sections"): "section",
    ("interactive_content", "hotspots"): "hotspot",
    ("quiz_content", "questions"): "question",
    ("module", "experiments"): "experiment",
    ("experiment", "arms"): "experiment_arm",
    ("experiment_arm", "sections"): "section",
}


def _ordered(value: Any, kind: str | None) -> Any:
    if not isinstance(value, dict) or kind is None:
        return value
    order = _key_orders().get(kind, ())
    rank = {key: i for i, key in enumerate(order)}
    # Known keys in schema order, then unknown ones (the schema will refuse them) as they came.
    keys = sorted((k for k in value if k in rank), key=rank.__getitem__) + [k for k in value if k not in rank]
    result: dict[str, Any] = {}
    for key in keys:
        child = value[key]
        if (kind, key) in _LIST_DEFS and isinstance(child, list):
            child = [_ordered(item, _LIST_DEFS[(kind, key)]) for item in child]
        elif (kind, key) in _CHILD_DEFS:
            child = _ordered(child, _CHILD_DEFS[(kind, key)])
        elif kind == "section" and key == "content":
            child = _ordered(child, _CONTENT_DEF.get(str(value.get("section_type"))))
        result[key] = child
    return result


def canonical_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `data` with keys in schema order."""
    return _ordered(copy.deepcopy(dict(data)), "module")


def dump_module(data: Mapping[str, Any]) -> str:
    """Canonical text: UTF-8, 2-space indent, keys in schema order, one trailing newline."""
    return json.dumps(canonical_data(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def content_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 of the content, ignoring the bookkeeping in `metadata` (revision, export times)."""
    content = {k: v for k, v in data.items() if k != BOOKKEEPING_KEY}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_atomically(path: Path, text: str | bytes) -> bool:
    """Write `text` to `path` via a temporary file and rename; return False when the bytes were already there.

    A killed process leaves either the old file or the new one, never half of either.
    """
    payload = text.encode("utf-8") if isinstance(text, str) else text
    try:
        if path.read_bytes() == payload:
            return False
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _unwritable(path, exc) from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # a file where a folder should be, no permission, a read-only disk
        raise _unwritable(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(payload)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return True


def _unwritable(path: Path, exc: OSError) -> ConfigError:
    """Name the file that stands where a folder should be (e.g. MODULES_DIR or --out), else the folder itself."""
    blocker = next((p for p in reversed(path.parents) if p.exists() and not p.is_dir()), None)
    fix = f"{blocker} is a file, not a folder" if blocker else f"check that {path.parent} is a folder you can write to"
    return ConfigError(f"cannot write {path} ({exc.strerror}); {fix}")


def write_module(path: Path, data: Mapping[str, Any]) -> bool:
    """Write `data` in canonical form, atomically; return whether the file changed."""
    return write_atomically(path, dump_module(data))
