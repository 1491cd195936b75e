"""At most one dispatch per page within a short window, and always one after the last event of a burst."""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, text

from pipeline.webhook.events import NotionEvent

log = logging.getLogger(__name__)
Outcome = Literal["dispatched", "coalesced"]
# A trailing dispatch that fails is tried again at the end of the next window, this many times in all.
TRAILING_ATTEMPTS = 3


@dataclass
class _Window:
    """A page's open window: the newest event that arrived during it (to send when it closes), if any."""

    latest: NotionEvent | None = None
    attempts: int = 0
    generation: int = 0  # which of the window's scheduled ends is current (an earlier one is ignored)


_Due = tuple[str, _Window, int]  # page, its window, the generation the end was scheduled for


class _Alarm:
    """One thread that calls `due(key)` at each deadline: windows cost a heap entry, not a thread each."""

    def __init__(self, due: Callable[[_Due], None]) -> None:
        self._due = due
        self._heap: list[tuple[float, int, _Due]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def at(self, deadline: float, key: _Due) -> None:
        with self._wake:
            heapq.heappush(self._heap, (deadline, next(self._order), key))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhook-windows", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._wake.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                _, _, key = heapq.heappop(self._heap)
            try:
                self._due(key)
            except Exception:  # never let one window stop the others
                log.exception("closing a coalescing window failed")


class Coalescer:
    """Sends `send(event)` for the first event of a page at once, then holds the page's window open `seconds`.

    Events of that page inside the window are answered at once and not sent; when the window closes, the newest
    of them is sent (a *trailing* dispatch) and a new window opens. So a burst of N edits costs about one dispatch
    per window, and the run started by the last dispatch began after the last edit: it exports the final state.
    `seconds <= 0` sends every event. Thread-safe; the windows live in this process only."""

    def __init__(self, send: Callable[[NotionEvent], None], seconds: float) -> None:
        self.send, self.seconds = send, seconds
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self._alarm = _Alarm(self._window_ended)

    def submit(self, event: NotionEvent) -> Outcome:
        """Send `event` now ("dispatched", exceptions from `send` propagate) or at the window's end ("coalesced")."""
        page = event.page_id or event.event_id
        if self.seconds <= 0:
            self.send(event)
            return "dispatched"
        with self._lock:
            window = self._windows.get(page)
            if window is not None:
                window.latest = event
                return "coalesced"
            window = self._windows[page] = _Window()
            self._arm(page, window)
        try:
            self.send(event)
        except Exception:
            with self._lock:  # not sent: the caller answers with an error and Notion retries this event
                if window.latest is None and self._windows.get(page) is window:
                    self._close(page, window)
            raise
        return "dispatched"

    def flush(self) -> None:
        """Send every waiting trailing dispatch now (at shutdown, so a restart loses no last edit)."""
        with self._lock:
            waiting = [(page, w) for page, w in self._windows.items()]
            for page, window in waiting:
                self._close(page, window)
        for _, window in waiting:
            if window.latest is not None:
                self._send_trailing(window.latest)

    def _arm(self, page: str, window: _Window) -> None:
        window.generation += 1
        self._alarm.at(time.monotonic() + self.seconds, (page, window, window.generation))

    def _close(self, page: str, window: _Window) -> None:
        window.generation += 1  # its scheduled end, if any, is now stale
        if self._windows.get(page) is window:
            del self._windows[page]

    def _window_ended(self, key: _Due) -> None:
        page, window, generation = key
        with self._lock:
            if self._windows.get(page) is not window or window.generation != generation:
                return  # closed or flushed meanwhile
            event, window.latest = window.latest, None
            if event is None:
                self._close(page, window)
                return
            self._arm(page, window)  # the trailing dispatch opens a new window: a long burst stays coalesced
        # GitHub may take seconds: send on a thread of its own, so other windows end on time
        threading.Thread(target=self._trailing, args=(window, event), daemon=True).start()

    def _trailing(self, window: _Window, event: NotionEvent) -> None:
        if not self._send_trailing(event):
            with self._lock:
                window.attempts += 1
                if window.latest is None and window.attempts < TRAILING_ATTEMPTS:
                    window.latest = event  # try again when this new window ends

    def _send_trailing(self, event: NotionEvent) -> bool:
        return _send_trailing(self.send, event)


def _send_trailing(send: Callable[[NotionEvent], None], event: NotionEvent) -> bool:
    """Send a trailing dispatch; False (logged) when it failed, for the caller to try again later."""
    try:
        send(event)
    except Exception as exc:
        log.error(
            "trailing dispatch for page %s (event %s) failed: %s; the nightly export will pick the page up "
            "if the retries fail too",
            event.page_id,
            event.event_id,
            exc,
        )
        return False
    log.info("dispatched the last of a burst of events for page %s (event %s)", event.page_id, event.event_id)
    return True


_OPEN_SQL = text("""
    INSERT INTO webhook_windows (page_id, closes_at) VALUES (:page, now() + make_interval(secs => :seconds))
    ON CONFLICT (page_id) DO UPDATE SET closes_at = EXCLUDED.closes_at, attempts = 0
        WHERE webhook_windows.closes_at <= now() AND webhook_windows.pending_event IS NULL
    RETURNING page_id
""")
_HOLD_SQL = text("UPDATE webhook_windows SET pending_event = CAST(:event AS jsonb) WHERE page_id = :page")
_ABANDON_SQL = text("DELETE FROM webhook_windows WHERE page_id = :page AND pending_event IS NULL")
# Windows that closed holding an event: claimed by one process (SKIP LOCKED), reopened, and their event handed over.
_CLAIM_SQL = text("""
    WITH due AS (
        SELECT page_id, pending_event FROM webhook_windows
        WHERE pending_event IS NOT NULL AND (closes_at <= now() OR :all_windows)
        ORDER BY closes_at LIMIT 100 FOR UPDATE SKIP LOCKED
    )
    UPDATE webhook_windows w SET pending_event = NULL, closes_at = now() + make_interval(secs => :seconds)
    FROM due WHERE w.page_id = due.page_id
    RETURNING w.page_id, due.pending_event, w.attempts
""")
_RETRY_SQL = text("""
    UPDATE webhook_windows SET attempts = attempts + 1,
                               pending_event = coalesce(pending_event, CAST(:event AS jsonb))
    WHERE page_id = :page AND attempts + 1 < :attempts
""")
_FORGET_SQL = text("DELETE FROM webhook_windows WHERE pending_event IS NULL AND closes_at < now() - interval '1 hour'")


class SharedCoalescer:
    """The Coalescer's rule, with the windows as rows in PostgreSQL (webhook_windows): every receiver process and
    machine shares them, so N workers on M machines dispatch once per page per window, as one process would.

    The first event of a page opens its window (`INSERT … ON CONFLICT`: one process wins) and is sent at once; later
    events inside it replace the held one. Each process polls for windows that closed holding an event; one claims
    each (`FOR UPDATE SKIP LOCKED`), reopens it and sends the trailing dispatch. A held event outlives a restart."""

    def __init__(self, engine: Engine, send: Callable[[NotionEvent], None], seconds: float) -> None:
        self.engine, self.send, self.seconds = engine, send, seconds
        self._poll = min(1.0, max(0.05, seconds / 4))
        if seconds > 0:
            threading.Thread(target=self._run, name="webhook-shared-windows", daemon=True).start()

    def submit(self, event: NotionEvent) -> Outcome:
        """Send `event` now ("dispatched", exceptions from `send` propagate) or at the window's end ("coalesced")."""
        page = event.page_id or event.event_id
        if self.seconds <= 0:
            self.send(event)
            return "dispatched"
        with self.engine.begin() as conn:
            opened = conn.execute(_OPEN_SQL, {"page": page, "seconds": self.seconds}).first() is not None
            if not opened:
                conn.execute(_HOLD_SQL, {"page": page, "event": _event_json(event)})
                return "coalesced"
        try:
            self.send(event)
        except Exception:
            with self.engine.begin() as conn:  # not sent: Notion retries this event, and it must open the window
                conn.execute(_ABANDON_SQL, {"page": page})
            raise
        return "dispatched"

    def flush(self) -> None:
        """Send every held event now (at shutdown; the rows would also survive until another process sends them)."""
        self._send_due(all_windows=True)

    def _run(self) -> None:
        while True:
            time.sleep(self._poll)
            try:
                self._send_due(all_windows=False)
            except Exception:  # the database away for a moment: the rows wait, the next poll tries again
                log.exception("reading the coalescing windows failed")

    def _send_due(self, all_windows: bool) -> None:
        with self.engine.begin() as conn:
            claimed = conn.execute(_CLAIM_SQL, {"seconds": self.seconds, "all_windows": all_windows}).all()
            if random.random() < 0.01:
                conn.execute(_FORGET_SQL)
        for row in claimed:
            event = _event_from(row.pending_event)
            if not _send_trailing(self.send, event):
                with self.engine.begin() as conn:
                    conn.execute(
                        _RETRY_SQL, {"page": row.page_id, "event": _event_json(event), "attempts": TRAILING_ATTEMPTS}
                    )


def _event_json(event: NotionEvent) -> str:
    """What a trailing dispatch needs of the event (dispatch_export sends its page, id and type)."""
    return json.dumps(
        {
            "event_id": event.event_id,
            "event_type": event.event_type,
            "timestamp": event.timestamp.isoformat(),
            "page_id": event.page_id,
        }
    )


def _event_from(held: dict[str, Any]) -> NotionEvent:
    return NotionEvent(
        held["event_id"], held["event_type"], datetime.fromisoformat(held["timestamp"]), held["page_id"], {}
    )
