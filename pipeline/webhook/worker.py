"""The receiver's gunicorn worker: gevent's, with a cap on the connections one client address may hold open.

gevent serves each connection on a greenlet, so slow clients cost no thread; but `worker_connections` bounds
them all, and one client opening thousands filled it and starved Notion's deliveries. Past
PIPELINE_WEBHOOK_CLIENT_CONNECTIONS from one address, a new connection is closed as soon as it is accepted.
Headers must arrive within gunicorn's `keepalive` seconds (its gevent worker reads them under that timeout);
the body within PIPELINE_WEBHOOK_BODY_SECONDS (the app reads it under a deadline, `verification.body_deadline`).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from gunicorn.workers.ggevent import GeventWorker  # type: ignore[import-untyped]

from pipeline.errors import ConfigError
from pipeline.settings import Settings

log = logging.getLogger("pipeline.webhook")


class ReceiverWorker(GeventWorker):
    """GeventWorker that refuses a client address its connection past the cap (0: no cap)."""

    def init_process(self) -> None:
        try:
            self.client_cap = Settings.from_env().webhook_client_connections
        except ConfigError:  # the app's own start reports the configuration, once
            self.client_cap = Settings().webhook_client_connections
        self.open_by_client: Counter[str] = Counter()
        self.refused_since_log = 0
        super().init_process()

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        # One greenlet runs at a time in this process: the counter needs no lock.
        address = addr[0] if isinstance(addr, tuple) else str(addr)
        if self.client_cap and self.open_by_client[address] >= self.client_cap:
            self._refuse(client, address)
            return
        self.open_by_client[address] += 1
        try:
            super().handle(listener, client, addr)
        finally:
            self.open_by_client[address] -= 1
            if not self.open_by_client[address]:
                del self.open_by_client[address]

    def _refuse(self, client: Any, address: str) -> None:
        client.close()
        self.refused_since_log += 1
        if self.refused_since_log in (1, 1000) or self.refused_since_log % 10_000 == 0:
            log.warning(
                "closed connections from %s: it holds %d open (PIPELINE_WEBHOOK_CLIENT_CONNECTIONS); %d closed so far",
                address,
                self.client_cap,
                self.refused_since_log,
            )
