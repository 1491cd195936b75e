"""The property values the pipeline writes onto a Module Library page: Status = Live, the PR link, Last Updated.

Each value is shaped by the data source's own property type (a Status column may be a status or a select; the
link column a URL or text), so one code path serves both kinds of Module Library.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

STATUS_PROPERTY = "Status"
LINK_PROPERTY = "GitHub Branch/PR"
UPDATED_PROPERTY = "Last Updated"
LIVE = "Live"
# Types Notion computes itself: writing them is refused, and they are already right.
_READ_ONLY_TYPES = frozenset({"last_edited_time", "created_time", "formula", "rollup"})


def pr_link_value(property_type: str | None, pr_url: str | None) -> dict[str, Any] | None:
    """The "GitHub Branch/PR" value for a URL or text column; None when there is nothing (or nowhere) to write."""
    if not pr_url:
        return None
    if property_type == "url":
        return {"url": pr_url}
    if property_type == "rich_text":
        return {"rich_text": [{"type": "text", "text": {"content": pr_url, "link": {"url": pr_url}}}]}
    return None


def pr_link_of(page: Mapping[str, Any]) -> str | None:
    """The "GitHub Branch/PR" value a page shows (a URL or text column), None when it is empty."""
    prop = (page.get("properties") or {}).get(LINK_PROPERTY) or {}
    if prop.get("type") == "url":
        return prop.get("url") or None
    return "".join(run.get("plain_text", "") for run in prop.get("rich_text") or []).strip() or None


def live_properties(
    schema: Mapping[str, Any], pr_url: str | None, deployed_at: datetime, *, retired: bool = False
) -> dict[str, Any]:
    """The page-update payload for a deployed module, shaped by the data source's own property types.

    A retired module's page keeps the Status its team lead set (Retired/Archived): only Live pages say Live.
    """
    types = {name: prop.get("type") for name, prop in schema.items()}
    payload: dict[str, Any] = {}
    status_type = types.get(STATUS_PROPERTY)
    if status_type not in ("status", "select"):
        raise ConfigError(
            f"the Module Library has no Status property of type status or select (found {status_type or 'none'}); "
            "run `python -m pipeline notion check` and fix the column in Notion"
        )
    if not retired:
        payload[STATUS_PROPERTY] = {status_type: {"name": LIVE}}
    link = pr_link_value(types.get(LINK_PROPERTY), pr_url)
    if link is not None:
        payload[LINK_PROPERTY] = link
    updated_type = types.get(UPDATED_PROPERTY)
    if updated_type == "date":
        stamp = deployed_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        payload[UPDATED_PROPERTY] = {"date": {"start": stamp}}
    elif updated_type not in _READ_ONLY_TYPES and updated_type is not None:
        log.warning("Last Updated is a %s property; writeback sets it only when it is a date", updated_type)
    return payload
