"""Bodies that must not break the receiver, and bursts of events, on the command line's server (`webhook serve`)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace

import httpx
import pytest

from pipeline.settings import Settings
from pipeline.webhook import MAX_BODY_BYTES, MAX_NESTING, nesting_within, signature_for
from tests.webhook.delivery import SECRET, DispatchReceiver, deliver, recorded_event
from tests.webhook.gunicorn_server import wait_until


def _chunked(url: str, body: bytes, size: int = 8192) -> httpx.Response:
    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), size):
            yield body[start : start + size]

    headers = {"X-Notion-Signature": signature_for(SECRET, body), "Content-Type": "application/json"}
    return httpx.post(f"{url}/notion/webhook", content=chunks(), headers=headers, timeout=10)


@pytest.mark.parametrize("secret", [SECRET, None], ids=["signed", "unsigned"])
def test_deep_nesting_is_a_400_not_a_recursion_error(
    receiver_url: str, github: DispatchReceiver, caplog: pytest.LogCaptureFixture, secret: str | None
) -> None:
    caplog.set_level(logging.INFO, logger="pipeline.webhook")
    for body in (b"[" * 50_000 + b"]" * 50_000, b'{"a": ' + b"[" * 50_000, b"{" * 40):
        response = deliver(receiver_url, body, secret=secret)
        assert (response.status_code, response.json()["error"]) == (400, "malformed_json")
    assert "Traceback" not in caplog.text and github.received == []


def test_an_event_at_the_nesting_bound_is_accepted(receiver_url: str, github: DispatchReceiver) -> None:
    deep_but_allowed = recorded_event(extra=json.loads("[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1)))
    assert deliver(receiver_url, deep_but_allowed).status_code == 202


def test_the_nesting_bound_ignores_brackets_inside_strings() -> None:
    assert nesting_within(json.dumps({"text": "[[[[{{{{" * 100, "quote": 'say "]]]" \\'}).encode())
    assert not nesting_within(b"[" * (MAX_NESTING + 1) + b"]" * (MAX_NESTING + 1))
    assert not nesting_within(b"[[]")  # unpaired


def test_a_chunked_body_over_the_limit_gets_413_and_one_under_it_is_read_whole(
    receiver_url: str, github: DispatchReceiver
) -> None:
    event = recorded_event()
    oversize = json.dumps({**event, "padding": "x" * MAX_BODY_BYTES}).encode()
    assert _chunked(receiver_url, oversize).status_code == 413
    assert _chunked(receiver_url, json.dumps(event).encode(), size=50).status_code == 202
    assert len(github.received) == 1


def test_a_failed_first_dispatch_leaves_no_window_so_notions_retry_is_dispatched(
    start_receiver: Callable[..., str], settings: Settings, github: DispatchReceiver
) -> None:
    url = start_receiver(replace(settings, webhook_coalesce_seconds=30.0))
    event = recorded_event()
    github.fail_with = 500
    assert deliver(url, event).status_code == 502
    github.fail_with = None
    retry = deliver(url, {**event, "attempt_number": 2})
    assert (retry.status_code, retry.json()["status"]) == (202, "dispatched")
    assert len(github.received) == 1


def test_a_failed_trailing_dispatch_is_tried_again_at_the_end_of_the_next_window(
    start_receiver: Callable[..., str], settings: Settings, github: DispatchReceiver
) -> None:
    url = start_receiver(replace(settings, webhook_coalesce_seconds=0.3))
    first, last = recorded_event(id=str(uuid.uuid4())), recorded_event(id=str(uuid.uuid4()))
    assert deliver(url, first).json()["status"] == "dispatched"
    github.fail_with = 503  # GitHub is down when the window ends
    assert deliver(url, last).json()["status"] == "coalesced"
    time.sleep(0.5)
    github.fail_with = None
    assert wait_until(lambda: len(github.received) == 2)
    assert github.received[1]["client_payload"]["event_id"] == last["id"]


def test_events_of_different_pages_are_not_coalesced(
    start_receiver: Callable[..., str], settings: Settings, github: DispatchReceiver
) -> None:
    url = start_receiver(replace(settings, webhook_coalesce_seconds=30.0))
    pages = ["153104cd-477e-809d-8dc4-ff2d96ae3090", "153104cd-477e-809d-8dc4-ff2d96ae3091"]
    for page in pages:
        event = recorded_event(id=str(uuid.uuid4()), entity={"id": page, "type": "page"})
        assert deliver(url, event).json()["status"] == "dispatched"
    assert [d["client_payload"]["page_id"] for d in github.received] == pages
