"""The Notion webhook receiver, over real HTTP, dispatching to a GitHub that answers like GitHub."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pipeline.errors import ConfigError
from pipeline.settings import Settings
from pipeline.webhook import MAX_BODY_BYTES, SeenEvents, create_app, signature_for
from tests.paths import REPO_ROOT
from tests.webhook.delivery import (
    BOT_USER_ID,
    DATABASE_ID,
    GITHUB_TOKEN,
    SECRET,
    DispatchReceiver,
    deliver,
    notion_time,
    receiver_environment,
    recorded_event,
)

PAGE_ID = "153104cd-477e-809d-8dc4-ff2d96ae3090"


def test_ready_candidate_page_event_dispatches_notion_ready_to_github(
    receiver_url: str, github: DispatchReceiver
) -> None:
    # Given a signed page.properties_updated event about a page of the Module Library
    event = recorded_event()
    # When Notion delivers it
    response = deliver(receiver_url, event)
    # Then GitHub received one notion-ready dispatch naming the page and the event
    assert response.status_code == 202
    assert response.json() == {"status": "dispatched", "page_id": PAGE_ID, "event_id": event["id"]}
    assert github.received == [
        {"event_type": "notion-ready", "client_payload": {"page_id": PAGE_ID, "event_id": event["id"]}}
    ]
    assert github.headers[0]["accept"] == "application/vnd.github+json"


def test_a_repeated_delivery_is_acknowledged_with_2xx_and_dispatched_once(
    receiver_url: str, github: DispatchReceiver
) -> None:
    # Given an event that was dispatched, delivered again (Notion missed our answer and retries it)
    event = recorded_event()
    assert deliver(receiver_url, event).status_code == 202
    again = deliver(receiver_url, {**event, "attempt_number": 2})
    # Then the repeat gets a 2xx, so Notion stops retrying, and GitHub got one dispatch
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "event_id": event["id"]}
    assert len(github.received) == 1


@pytest.mark.parametrize(
    ("signature", "error"),
    [
        (None, "missing_signature"),
        ("sha256=zz", "malformed_signature"),
        ("md5=" + "0" * 64, "malformed_signature"),
        (signature_for("secret_not_the_right_one", b"{}"), "bad_signature"),
    ],
)
def test_unsigned_or_badly_signed_events_are_refused(
    receiver_url: str, github: DispatchReceiver, signature: str | None, error: str
) -> None:
    event = json.dumps(recorded_event()).encode()
    response = deliver(receiver_url, event, secret=None, signature=signature)
    assert response.status_code == 401
    assert response.json()["error"] == error
    assert github.received == []


def test_the_signature_covers_the_raw_body_not_its_json_meaning(receiver_url: str, github: DispatchReceiver) -> None:
    # Given a body signed as sent, then re-serialised with other spacing (same JSON, other bytes)
    event = recorded_event()
    signed = signature_for(SECRET, json.dumps(event).encode())
    respaced = json.dumps(event, indent=2).encode()
    # Then the signature no longer matches
    assert deliver(receiver_url, respaced, signature=signed).status_code == 401
    # And the exact bytes pass
    assert deliver(receiver_url, json.dumps(event).encode(), signature=signed).status_code == 202


@pytest.mark.parametrize("age", [timedelta(hours=26), timedelta(minutes=-30)])
def test_events_dated_outside_notions_retry_window_are_refused_as_stale(
    receiver_url: str, github: DispatchReceiver, age: timedelta
) -> None:
    response = deliver(receiver_url, recorded_event(timestamp=notion_time(datetime.now(UTC) - age)))
    assert response.status_code == 400
    assert response.json()["error"] == "stale_event"
    assert github.received == []


@pytest.mark.parametrize("age", [timedelta(minutes=20), timedelta(hours=23)])
def test_notions_retry_of_an_old_event_is_accepted_and_dispatched(
    receiver_url: str, github: DispatchReceiver, age: timedelta
) -> None:
    # Given an event first sent `age` ago, while the receiver was down; Notion retries it (same id and timestamp)
    event = recorded_event(timestamp=notion_time(datetime.now(UTC) - age), attempt_number=4)
    response = deliver(receiver_url, event)
    # Then the retry is dispatched, not refused as stale
    assert response.status_code == 202
    assert github.received[0]["client_payload"]["event_id"] == event["id"]


def test_an_event_written_only_by_the_integrations_bot_starts_no_workflow(
    receiver_url: str, github: DispatchReceiver
) -> None:
    # Given the event Notion sends for the integration's own writeback (Status=Live, the PR link): authored by its bot
    event = recorded_event(authors=[{"id": BOT_USER_ID.replace("-", ""), "type": "bot"}])
    response = deliver(receiver_url, event)
    # Then it is acknowledged and no workflow is dispatched
    assert response.status_code == 200
    assert response.json() == {"status": "ignored", "reason": "only this integration's own writes changed the page"}
    assert github.received == []


@pytest.mark.parametrize(
    "authors",
    [
        [{"id": "b0b0b0b0-0000-4000-8000-000000000001", "type": "bot"}],  # another integration, e.g. an automation
        [{"id": BOT_USER_ID, "type": "bot"}, {"id": "c7c11cca-1d73-471d-9b6e-bdef51470190", "type": "person"}],
        [],
    ],
    ids=["another bot", "our bot and a person", "no authors"],
)
def test_events_that_someone_else_also_wrote_are_dispatched(
    receiver_url: str, github: DispatchReceiver, authors: list[dict[str, str]]
) -> None:
    assert deliver(receiver_url, recorded_event(authors=authors)).status_code == 202
    assert len(github.received) == 1


def test_an_oversized_body_is_refused_before_it_is_read(receiver_url: str, github: DispatchReceiver) -> None:
    body = b'{"padding": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = deliver(receiver_url, body)
    assert response.status_code == 413
    assert response.json()["error"] == "request_entity_too_large"
    assert github.received == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b"[1, 2]", "malformed_event"),
        (json.dumps({"id": "e1", "type": "page.created"}).encode(), "malformed_event"),
        (
            json.dumps({"id": "e1", "type": "page.created", "timestamp": "yesterday", "entity": {"id": "p"}}).encode(),
            "malformed_event",
        ),
    ],
)
def test_malformed_signed_requests_are_refused_with_400(
    receiver_url: str, github: DispatchReceiver, body: bytes, error: str
) -> None:
    response = deliver(receiver_url, body)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert github.received == []


def test_events_about_other_pages_or_other_changes_are_acknowledged_and_ignored(
    receiver_url: str, github: DispatchReceiver
) -> None:
    # A page whose parent is another page (not the Module Library), and a comment event
    outside = deliver(receiver_url, recorded_event("page_content_updated"))
    comment = deliver(
        receiver_url,
        recorded_event(
            id="c0ffee00-0000-4000-8000-000000000001", type="comment.created", entity={"id": "c1", "type": "comment"}
        ),
    )
    # Answered 200 (so Notion does not retry) without a dispatch
    assert (outside.status_code, outside.json()["status"]) == (200, "ignored")
    assert (comment.status_code, comment.json()["status"]) == (200, "ignored")
    assert github.received == []


def test_a_page_event_naming_the_database_is_recognised_when_only_its_id_is_configured(
    start_receiver: Callable[..., str], settings: Settings, github: DispatchReceiver
) -> None:
    # Given NOTION_DATABASE_ID instead of NOTION_DATA_SOURCE_ID, and an event whose parent names only the database
    url = start_receiver(replace(settings, notion_data_source_id=None, notion_database_id=DATABASE_ID))
    event = recorded_event(data={"parent": {"id": DATABASE_ID.replace("-", ""), "type": "database_id"}})
    assert deliver(url, event).status_code == 202
    assert github.received[0]["client_payload"]["page_id"] == PAGE_ID


@pytest.mark.parametrize("failure", ["bad token", "github down"])
def test_a_refused_dispatch_answers_502_and_notions_retry_dispatches_later(
    start_receiver: Callable[..., str],
    settings: Settings,
    github: DispatchReceiver,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    caplog.set_level(logging.INFO, logger="pipeline.webhook")
    # Given GitHub refuses (a wrong token gets GitHub's 401) or fails (500)
    if failure == "bad token":
        url = start_receiver(replace(settings, github_token="ghs_wrongTokenXXXXXXXX"))
    else:
        url = start_receiver(settings)
        github.fail_with = 500
    event = recorded_event()
    # When the event arrives, the receiver says so with 502 (Notion retries) and leaks no token in its log
    first = deliver(url, event)
    assert first.status_code == 502
    assert first.json()["error"] == "dispatch_failed"
    assert GITHUB_TOKEN not in caplog.text and "ghs_wrongToken" not in caplog.text
    if failure == "github down":
        # And once GitHub is back, Notion's retry of the same event is dispatched
        github.fail_with = None
        assert deliver(url, {**event, "attempt_number": 2}).status_code == 202
        assert len(github.received) == 1


def test_the_dispatch_payload_fits_githubs_limits(receiver_url: str, github: DispatchReceiver) -> None:
    # The fake GitHub refuses what GitHub refuses (422 for >10 client_payload keys); ours is accepted
    assert deliver(receiver_url, recorded_event()).status_code == 202
    assert len(github.received[0]["client_payload"]) <= 10


def test_health_check_and_unknown_paths_answer_json(receiver_url: str) -> None:
    assert httpx.get(f"{receiver_url}/healthz").json() == {"status": "ok"}
    missing = httpx.get(f"{receiver_url}/nothing")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong_method = httpx.get(f"{receiver_url}/notion/webhook")
    assert wrong_method.status_code == 405


def test_seen_events_forget_the_oldest_beyond_their_capacity() -> None:
    seen = SeenEvents(capacity=2)
    assert seen.reserve("a") and seen.reserve("b") and seen.reserve("c")
    assert not seen.reserve("c")
    assert seen.reserve("a")  # "a" was evicted when "c" arrived


def test_missing_configuration_is_named() -> None:
    with pytest.raises(ConfigError, match="GITHUB_TOKEN, GITHUB_REPOSITORY"):
        create_app(Settings(notion_data_source_id="x"))
    with pytest.raises(ConfigError, match="NOTION_DATA_SOURCE_ID"):
        create_app(Settings(github_token="t", github_repository="o/r"))
    with pytest.raises(ConfigError, match=r"NOTION_BOT_USER_ID, the integration's bot user id.*GET /v1/users/me"):
        create_app(Settings(github_token="t", github_repository="o/r", notion_data_source_id="x"))
    with pytest.raises(ConfigError, match="NOTION_BOT_USER_ID='my bot' is not a Notion user id"):
        create_app(
            Settings(github_token="t", github_repository="o/r", notion_data_source_id="x", notion_bot_user_id="my bot")
        )
    with pytest.raises(ConfigError, match=r"GITHUB_API_URL='api\.github\.com' is not an http"):
        create_app(
            Settings(
                github_token="t",
                github_repository="o/r",
                notion_data_source_id="x",
                notion_bot_user_id=BOT_USER_ID,
                github_api_url="api.github.com",
            )
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_webhook_serve_command_receives_and_dispatches(github: DispatchReceiver, tmp_path: Path) -> None:
    # Given `python -m pipeline webhook serve` started with settings from the environment
    port = _free_port()
    env = receiver_environment(github.url, PATH="/usr/bin:/bin")
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "webhook", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        # When Notion delivers an event, then GitHub gets the dispatch
        assert deliver(url, recorded_event()).status_code == 202
        assert github.received[0]["client_payload"]["page_id"] == PAGE_ID
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    # and the operator sees the dispatch in the server's log without -v, and never the token
    output = (tmp_path / "serve.log").read_text()
    assert f"dispatched notion-ready for page {PAGE_ID}" in output
    assert GITHUB_TOKEN not in output


def test_webhook_serve_on_a_port_in_use_is_a_configuration_error(
    github: DispatchReceiver, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.cli import main

    for name, value in receiver_environment(github.url).items():
        monkeypatch.setenv(name, value)
    with socket.socket() as taken:  # given another program listens on the port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        status = main(["webhook", "serve", "--port", str(port)])

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith(f"error: cannot listen on 127.0.0.1:{port}") and "--port" in err


def test_webhook_serve_without_the_bot_user_id_says_how_to_find_it(
    github: DispatchReceiver, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.cli import main

    for name, value in receiver_environment(github.url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NOTION_BOT_USER_ID")

    status = main(["webhook", "serve", "--port", str(_free_port())])

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("error: missing configuration: NOTION_BOT_USER_ID") and "GET /v1/users/me" in err


@pytest.mark.parametrize("port", ["99999", "http"])
def test_webhook_serve_refuses_a_port_that_is_no_port_number(port: str, capsys) -> None:
    from pipeline.cli import main

    with pytest.raises(SystemExit) as usage:
        main(["webhook", "serve", "--port", port])

    assert usage.value.code == 2
    assert "is not a port number (1-65535)" in capsys.readouterr().err
