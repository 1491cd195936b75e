"""How values look on the wire: ISO 8601 UTC timestamps and compact UTF-8 JSON (what is read: `storable`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def iso(value: datetime | None) -> str | None:
    """`2026-12-01T19:55:00.123456Z` (UTC whatever the database session's time zone), or None."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
