"""The receiver under gunicorn, started the way production starts it, over real HTTP."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from pipeline.webhook import MAX_BODY_BYTES, MAX_NESTING, signature_for
from tests.webhook.delivery import (
    BOT_USER_ID,
    DATA,
    GITHUB_TOKEN,
    SECRET,
    DispatchReceiver,
    deliver,
    notion_time,
    recorded_event,
)
from tests.webhook.gunicorn_server import Gunicorn, wait_until

PAGE_ID = "153104cd-477e-809d-8dc4-ff2d96ae3090"
SLOW_CLIENTS = 5000
ATTACKER = "127.0.0.2"  # the slow connections come from one address, Notion's delivery from another


def _chunks(body: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_the_signed_verification_handshake_finishes_set_up(
    gunicorn: Callable[..., Gunicorn], github: DispatchReceiver
) -> None:
    # Given a receiver being set up (no secret yet)
    server = gunicorn(NOTION_WEBHOOK_SECRET="")
    # When Notion sends its verification request signed with the token it carries
    response = deliver(server.url, (DATA / "verification.json").read_bytes(), secret=SECRET)
    # Then it is acknowledged and the operator finds the token in the log
    assert response.status_code == 200
    assert f"Notion verification_token received: {SECRET}" in server.stop()


def test_notions_deliveries_are_dispatched_once_retries_accepted_and_own_writes_ignored(
    gunicorn: Callable[..., Gunicorn], github: DispatchReceiver
) -> None:
    server = gunicorn()
    # An edit by a person, first delivered 20 minutes ago while the receiver was down: Notion's retry is accepted
    retried = recorded_event(timestamp=notion_time(datetime.now(UTC) - timedelta(minutes=20)), attempt_number=3)
    assert deliver(server.url, retried).status_code == 202
    # Delivered again (Notion missed the answer): a 2xx and no second dispatch
    again = deliver(server.url, {**retried, "attempt_number": 4})
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    # The integration's own writeback on another page of the library: acknowledged, no workflow started
    own = recorded_event(
        id=str(uuid.uuid4()),
        entity={"id": "0ef104cd-477e-80e1-8571-cfd10e92339b", "type": "page"},
        authors=[{"id": BOT_USER_ID, "type": "bot"}],
    )
    assert deliver(server.url, own).json()["status"] == "ignored"
    assert [d["client_payload"]["event_id"] for d in github.received] == [retried["id"]]


def test_deeply_nested_json_is_refused_with_400_signed_or_not_and_no_traceback(
    gunicorn: Callable[..., Gunicorn], github: DispatchReceiver
) -> None:
    server = gunicorn()
    deep = b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    just_too_deep = json.dumps(recorded_event(data={"parent": _nested(MAX_NESTING)})).encode()
    huge_number = b'{"id": ' + b"7" * 5_000 + b"}"
    assert len(deep) < MAX_BODY_BYTES
    for body in (deep, just_too_deep):  # refused on its shape, before the signature is looked at
        for secret in (SECRET, None):
            response = deliver(server.url, body, secret=secret)
            assert (response.status_code, response.json()["error"]) == (400, "malformed_json"), (body[:40], secret)
    # A 5,000-digit number is past what Python parses: 400 when signed; unsigned, it is not parsed at all
    assert deliver(server.url, huge_number).status_code == 400
    assert deliver(server.url, huge_number, secret=None).status_code == 401
    log = server.stop()
    assert "Traceback" not in log and "RecursionError" not in log
    assert github.received == []


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def test_a_chunked_body_over_the_limit_is_refused_with_413(
    gunicorn: Callable[..., Gunicorn], github: DispatchReceiver
) -> None:
    server = gunicorn()
    event = recorded_event()
    oversize = json.dumps({**event, "padding": "x" * MAX_BODY_BYTES}).encode()
    headers = {"X-Notion-Signature": signature_for(SECRET, oversize), "Content-Type": "application/json"}
    response = httpx.post(f"{server.url}/notion/webhook", content=_chunks(oversize), headers=headers, timeout=10)
    assert response.status_code == 413
    assert response.json()["error"] == "request_entity_too_large"
    # and a chunked event under the limit is read whole, and dispatched
    fits = json.dumps(event).encode()
    headers["X-Notion-Signature"] = signature_for(SECRET, fits)
    response = httpx.post(f"{server.url}/notion/webhook", content=_chunks(fits, 100), headers=headers, timeout=10)
    assert response.status_code == 202
    assert len(github.received) == 1


def test_the_log_hides_a_token_that_an_upstream_error_echoes(
    gunicorn: Callable[..., Gunicorn], github: DispatchReceiver
) -> None:
    # Given GitHub refuses the dispatch with a message that quotes the request's credentials
    github.fail_with, github.fail_message = 401, f"Bad credentials: Bearer {GITHUB_TOKEN}"
    server = gunicorn()
    assert deliver(server.url, recorded_event()).status_code == 502
    # Then the receiver's log says what happened, without the token
    log = server.stop()
    assert "repository_dispatch to frames/modules refused: HTTP 401 Bad credentials: Bearer ***" in log
    assert GITHUB_TOKEN not in log


def test_a_burst_of_edits_dispatches_less_often_than_it_receives_events_and_the_last_edit_is_sent_last(
    gunicorn: Callable[..., Gunicorn], github: DispatchReceiver
) -> None:
    # Given a 1-second coalescing window, and a team lead editing one page 20 times in quick succession
    server = gunicorn(PIPELINE_WEBHOOK_COALESCE_SECONDS="1")
    events = [recorded_event(id=str(uuid.uuid4())) for _ in range(20)]
    answers = [deliver(server.url, event) for event in events]
    last_answered = time.monotonic()
    # Then every event is acknowledged (Notion retries nothing); the first is dispatched at once, most are held
    assert {a.status_code for a in answers} == {202}
    statuses = [a.json()["status"] for a in answers]
    assert statuses[0] == "dispatched" and statuses.count("coalesced") >= len(events) // 2
    # And after the window a trailing dispatch names the last edit, sent after it arrived: its run reads the final
    # page. A burst longer than the window gets one dispatch per window, still far fewer than its events.
    assert wait_until(lambda: _dispatched_ids(github)[-1:] == [events[-1]["id"]])
    assert github.times[-1] >= last_answered
    assert 2 <= len(github.received) < len(events)
    assert all(d["client_payload"]["page_id"] == PAGE_ID for d in github.received)
    # And nothing more follows once the page is quiet
    count = len(github.received)
    assert not wait_until(lambda: len(github.received) > count, seconds=1.5)


def _dispatched_ids(github: DispatchReceiver) -> list[str]:
    return [d["client_payload"]["event_id"] for d in github.received]


def test_a_graceful_stop_sends_the_trailing_dispatch_it_holds(
    gunicorn: Callable[..., Gunicorn], github: DispatchReceiver
) -> None:
    # Given a burst inside a long window (the production default), and the platform restarting the receiver
    server = gunicorn(PIPELINE_WEBHOOK_COALESCE_SECONDS="30")
    first, last = recorded_event(id=str(uuid.uuid4())), recorded_event(id=str(uuid.uuid4()))
    assert deliver(server.url, first).json()["status"] == "dispatched"
    assert deliver(server.url, last).json()["status"] == "coalesced"
    server.stop()
    # Then the last edit is dispatched before the process ends, not lost with it
    assert [d["client_payload"]["event_id"] for d in github.received] == [first["id"], last["id"]]


def test_five_thousand_slow_connections_from_one_client_do_not_delay_a_signed_delivery(
    gunicorn: Callable[..., Gunicorn], github: DispatchReceiver
) -> None:
    # Given the receiver as production runs it, with a 2-second body deadline to keep the test short
    server = gunicorn(PIPELINE_WEBHOOK_BODY_SECONDS="2")
    port = int(server.url.rsplit(":", 1)[1])
    slow: list[socket.socket] = []
    try:
        # When one client (another loopback address) opens 5,000 connections that send headers and a bit of body
        for number in range(SLOW_CLIENTS):
            try:
                client = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(ATTACKER, 0))
                slow.append(client)
                if number % 2:  # half stop in the middle of their headers
                    client.sendall(b"POST /notion/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
                else:  # half announce a body and send its first byte
                    client.sendall(b"POST /notion/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 600\r\n\r\n{")
            except OSError:  # closed by the receiver past the cap before the bytes went out
                pass
        # Then Notion's signed delivery is still answered within 2 s, and dispatched
        started = time.monotonic()
        answer = deliver(server.url, recorded_event())
        assert time.monotonic() - started < 2.0
        assert answer.status_code == 202
        assert httpx.get(f"{server.url}/healthz", timeout=2).json() == {"status": "ok"}
        # And a connection that holds its body past the deadline is answered 408, then closed: none stays open
        held = slow[0]
        held.settimeout(15)
        assert held.recv(4096).startswith(b"HTTP/1.1 408")
        assert wait_until(lambda: _closed(held), seconds=10)
    finally:
        for client in slow:
            client.close()
    log = server.stop()
    assert f"closed connections from {ATTACKER}" in log and "Traceback" not in log
    assert len(github.received) == 1


def _closed(client: socket.socket) -> bool:
    try:
        return client.recv(4096) == b""
    except OSError:
        return True


def test_gunicorn_without_the_bot_user_id_does_not_start_and_says_why(
    gunicorn: Callable[..., Gunicorn],
) -> None:
    with pytest.raises(AssertionError, match="gunicorn exited") as failed:
        gunicorn(NOTION_BOT_USER_ID="")
    log = str(failed.value)
    assert "gunicorn exited with 4" in log and log.count("Booting worker") == 1  # stopped, not restarted in a loop
    assert "ERROR pipeline.webhook: error: missing configuration: NOTION_BOT_USER_ID" in log
    assert GITHUB_TOKEN not in log and SECRET not in log
