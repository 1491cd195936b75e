"""How values look on the wire: ISO 8601 UTC timestamps and compact UTF-8 JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def iso(value: datetime | None) -> str | None:
    """`2026-12-01T19:55:00.123456Z` (UTC whatever the database session's time zone), or None."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def parse_iso(value: str, name: str, example: str) -> datetime:
    """An ISO 8601 date-time with a time zone, in UTC; ValueError saying what to write (`name` and `example` are the
    field and a sample value, for the message)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} {value[:40]!r} is not an ISO 8601 date-time such as {example}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{name} {value[:40]!r} has no time zone; end it with Z (UTC) or an offset such as +02:00")
    return parsed.astimezone(UTC)


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
