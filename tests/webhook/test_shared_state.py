"""Several receivers on one database behave as one: delivery ids and coalescing windows are rows in PostgreSQL."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine

from tests.sql import scalar
from tests.webhook.delivery import DispatchReceiver, deliver, recorded_event
from tests.webhook.gunicorn_server import Gunicorn, wait_until

pytestmark = pytest.mark.slow


def _event_ids(github: DispatchReceiver) -> list[str]:
    return [d["client_payload"]["event_id"] for d in github.received]


def test_the_same_event_delivered_to_two_gunicorn_instances_starts_one_export(
    gunicorn: Callable[..., Gunicorn], github: DispatchReceiver, database_url: str, migrated_engine: Engine
) -> None:
    # Given two receivers (two machines behind a load balancer, say) sharing one database
    first = gunicorn(DATABASE_URL=database_url)
    second = gunicorn(DATABASE_URL=database_url)
    event = recorded_event(id=str(uuid.uuid4()))
    # When Notion's delivery and its redelivery reach both at the same moment
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda url: deliver(url, event), [first.url, second.url, first.url, second.url]))
    # Then one of them dispatched it, and the others answered duplicate (a 2xx: Notion stops retrying)
    assert sorted(a.json()["status"] for a in answers) == ["dispatched", "duplicate", "duplicate", "duplicate"]
    assert _event_ids(github) == [event["id"]]
    assert scalar(migrated_engine, "SELECT count(*) FROM webhook_deliveries") == 1


def test_a_burst_spread_over_two_instances_shares_one_window_and_one_trailing_dispatch(
    gunicorn: Callable[..., Gunicorn], github: DispatchReceiver, database_url: str, migrated_engine: Engine
) -> None:
    # Given two receivers with a 1-second window on one database
    servers = [gunicorn(DATABASE_URL=database_url, PIPELINE_WEBHOOK_COALESCE_SECONDS="1") for _ in range(2)]
    # When a team lead's edits of one page arrive at either of them, in turn
    events = [recorded_event(id=str(uuid.uuid4())) for _ in range(6)]
    statuses = [deliver(servers[n % 2].url, event).json()["status"] for n, event in enumerate(events)]
    # Then the first opened the page's window for both: the rest were held, wherever they arrived
    assert statuses == ["dispatched"] + ["coalesced"] * 5
    # And when the window closes exactly one of the two sends the last edit
    assert wait_until(lambda: len(github.received) == 2, seconds=10)
    time.sleep(1.5)  # both keep polling: neither sends it again
    assert _event_ids(github) == [events[0]["id"], events[-1]["id"]]
