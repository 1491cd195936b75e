"""At most one dispatch per page within a short window, and always one after the last event of a burst."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pipeline.webhook.events import NotionEvent

log = logging.getLogger(__name__)
Outcome = Literal["dispatched", "coalesced"]
# A trailing dispatch that fails is tried again at the end of the next window, this many times in all.
TRAILING_ATTEMPTS = 3


@dataclass
class _Window:
    """A page's open window: the newest event that arrived during it (to send when it closes), if any."""

    timer: threading.Timer | None = None
    latest: NotionEvent | None = None
    attempts: int = 0


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

    def pending(self) -> int:
        """How many pages wait for a trailing dispatch."""
        with self._lock:
            return sum(1 for w in self._windows.values() if w.latest is not None)

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
        window.timer = threading.Timer(self.seconds, self._window_ended, args=(page, window))
        window.timer.daemon = True  # flush() sends what is waiting at shutdown
        window.timer.start()

    def _close(self, page: str, window: _Window) -> None:
        if window.timer is not None:
            window.timer.cancel()
        if self._windows.get(page) is window:
            del self._windows[page]

    def _window_ended(self, page: str, window: _Window) -> None:
        with self._lock:
            if self._windows.get(page) is not window:
                return  # flushed meanwhile
            event, window.latest = window.latest, None
            if event is None:
                self._close(page, window)
                return
            self._arm(page, window)  # the trailing dispatch opens a new window: a long burst stays coalesced
        if not self._send_trailing(event):
            with self._lock:
                window.attempts += 1
                if window.latest is None and window.attempts < TRAILING_ATTEMPTS:
                    window.latest = event  # try again when this new window ends

    def _send_trailing(self, event: NotionEvent) -> bool:
        try:
            self.send(event)
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
