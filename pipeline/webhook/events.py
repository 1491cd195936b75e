"""Notion's webhook events: what they say, whether they are fresh, new, about the Module Library, and by whom."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from pipeline.notion.ids import normalise_page_id
from pipeline.webhook.verification import Refused

# Notion retries a failed delivery up to 8 times with exponential back-off over about 24 hours; a retry keeps the
# event's id and timestamp. Older events are refused (the nightly export covers them); the margin absorbs jitter.
RETRY_WINDOW = timedelta(hours=25)
CLOCK_SKEW = timedelta(minutes=5)
# Event ids remembered (about 500 bytes each with the LRU's links, 25 MB): a day at one event every two seconds.
SEEN_EVENTS = 50_000
# Events that can mean "this page may now be Ready". Events only signal a change: the dispatched workflow runs a
# plain `sync`, which reads the pages edited since the last run and exports only Ready ones, so the receiver needs
# no Notion token and can never get a draft proposed.
PAGE_EVENTS = frozenset(
    {"page.created", "page.properties_updated", "page.content_updated", "page.moved", "page.undeleted"}
)


@dataclass(frozen=True)
class Author:
    """Who made the change an event reports (`authors[]`); `type` is "person", "bot" (an integration) or "agent"."""

    id: str
    type: str


@dataclass(frozen=True)
class NotionEvent:
    """The parts of a Notion webhook event the receiver acts on."""

    event_id: str
    event_type: str
    timestamp: datetime
    page_id: str | None
    parent: dict[str, Any]
    authors: tuple[Author, ...] = ()


def parse_event(payload: Any) -> NotionEvent:
    """The event in a decoded webhook body; Refused(400) when a required field is missing or wrong."""
    if not isinstance(payload, dict):
        raise Refused(400, "malformed_event", "the body must be a JSON object")
    event_id, event_type, stamp = payload.get("id"), payload.get("type"), payload.get("timestamp")
    entity, data = payload.get("entity"), payload.get("data", {})
    if not (isinstance(event_id, str) and event_id and isinstance(event_type, str) and isinstance(stamp, str)):
        raise Refused(400, "malformed_event", "an event needs string fields id, type and timestamp")
    if not isinstance(entity, dict) or not isinstance(entity.get("id"), str) or not isinstance(data, dict):
        raise Refused(400, "malformed_event", "an event needs entity.id and an object in data")
    try:
        timestamp = datetime.fromisoformat(stamp)
    except ValueError:
        raise Refused(400, "malformed_event", f"timestamp {stamp!r} is not ISO 8601") from None
    if timestamp.tzinfo is None:
        raise Refused(400, "malformed_event", f"timestamp {stamp!r} has no time zone")
    page_id = entity["id"] if entity.get("type") == "page" else None
    found = data.get("parent")
    parent: dict[str, Any] = found if isinstance(found, dict) else {}
    return NotionEvent(event_id, event_type, timestamp, page_id, parent, _authors(payload.get("authors")))


def _authors(value: Any) -> tuple[Author, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        Author(str(item["id"]), str(item.get("type", "")))
        for item in value
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    )


def check_fresh(event: NotionEvent, now: datetime, window: timedelta = RETRY_WINDOW) -> None:
    """Refused(400) when the event is older than Notion's retry window, or dated ahead of this host's clock."""
    age = now - event.timestamp
    if age > window or age < -CLOCK_SKEW:
        raise Refused(
            400,
            "stale_event",
            f"event {event.event_id} is dated {event.timestamp.isoformat()}, outside the window of "
            f"{_hours(window)} back (Notion's retries) to {int(CLOCK_SKEW.total_seconds() // 60)} minutes ahead",
        )


def _hours(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    return f"{hours:g} hours" if hours >= 1 else f"{int(window.total_seconds() // 60)} minutes"


def is_in_library(parent: dict[str, Any], data_source_id: str | None, database_id: str | None) -> bool:
    """True when the event's parent is the Module Library (2025-09-03 names its data source; older, the database)."""
    wanted = {normalise_page_id(i) for i in (data_source_id, database_id) if i}
    found = {normalise_page_id(str(parent[key])) for key in ("data_source_id", "id") if parent.get(key)}
    return bool(wanted & found)


def is_own_write(event: NotionEvent, bot_user_id: str) -> bool:
    """True when the only author of the change is this integration's bot user: its own writeback, not an edit.

    Notion sends events for the integration's own writes too; dispatching on them would start the export that
    wrote them again (the loop). An aggregated event that a person also edited is not the integration's own."""
    own = normalise_page_id(bot_user_id)
    return bool(event.authors) and all(a.type == "bot" and normalise_page_id(a.id) == own for a in event.authors)


class SeenEvents:
    """Event ids already handled (or being handled): a bounded, thread-safe LRU kept in memory."""

    def __init__(self, capacity: int = SEEN_EVENTS) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def reserve(self, event_id: str) -> bool:
        """True if `event_id` is new (and now reserved); False if it was seen before."""
        with self._lock:
            if event_id in self._ids:
                self._ids.move_to_end(event_id)
                return False
            self._ids[event_id] = None
            while len(self._ids) > self.capacity:
                self._ids.popitem(last=False)
            return True

    def release(self, event_id: str) -> None:
        """Forget `event_id`, so that Notion's retry of a failed delivery is handled again."""
        with self._lock:
            self._ids.pop(event_id, None)


class SharedSeenEvents:
    """Event ids already handled, as rows in PostgreSQL (webhook_deliveries): every receiver process and machine
    sees the same ids, so a redelivery that reaches another worker is a duplicate there too."""

    def __init__(self, engine: Engine, keep: timedelta = RETRY_WINDOW, prune_every: int = 1000) -> None:
        self.engine, self.keep, self.prune_every = engine, keep, prune_every
        self._reserved = 0

    def reserve(self, event_id: str) -> bool:
        """True if `event_id` is new (and now reserved for this process); False if any process has it."""
        with self.engine.begin() as conn:
            row = conn.execute(_RESERVE_SQL, {"event_id": event_id}).first()
            self._reserved += 1
            if self._reserved % self.prune_every == 0:  # older than Notion's retries: no redelivery can come
                conn.execute(_PRUNE_SQL, {"seconds": self.keep.total_seconds()})
        return row is not None

    def release(self, event_id: str) -> None:
        """Forget `event_id`, so that Notion's retry of a failed delivery is handled again."""
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM webhook_deliveries WHERE event_id = :event_id"), {"event_id": event_id})


_RESERVE_SQL = text(
    "INSERT INTO webhook_deliveries (event_id) VALUES (:event_id) ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
)
_PRUNE_SQL = text("DELETE FROM webhook_deliveries WHERE received_at < now() - make_interval(secs => :seconds)")
