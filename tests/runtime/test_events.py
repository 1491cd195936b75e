"""Analytics events: a retried batch is stored once, conflicts are reported per item, limits are enforced."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from pipeline.db.engine import engine_for
from pipeline.runtime.events import INVALID_ID, MAX_EVENTS
from pipeline.settings import Settings
from tests.runtime.live import LiveServer
from tests.sql import execute, scalar


def event(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "verb": "answered",
        "object": {"module_id": "lab-safety-101", "section_id": "safety-check", "revision": 1},
        "result": {"score": 80, "success": True, "duration": "PT1M30S"},
        "context": {"platform": "web", "attempt": 1},
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    body.update(changes)
    return body


def test_a_retried_batch_is_stored_once(api: LiveServer, deployed: Settings) -> None:
    batch = {"events": [event() for _ in range(100)]}
    with api.client("alice") as client:
        first = client.post("/api/v1/events", json=batch)
        retried = client.post("/api/v1/events", json=batch)

    assert first.status_code == 200
    assert first.json() == {"stored": 100, "duplicates": 0, "rejected": []}
    assert retried.json() == {"stored": 0, "duplicates": 100, "rejected": []}
    engine = engine_for(deployed.database_url or "")
    assert scalar(engine, "SELECT count(*) FROM module_analytics_events WHERE student_id = 'alice'") == 100
    engine.dispose()


def test_the_same_id_with_other_content_is_a_per_item_conflict(api: LiveServer) -> None:
    original = event()
    with api.client("alice") as client:
        client.post("/api/v1/events", json={"events": [original]})
        changed = {**original, "verb": "completed"}
        fresh = event()
        answer = client.post("/api/v1/events", json={"events": [changed, fresh]})
    with api.client("mallory") as other:
        replayed = other.post("/api/v1/events", json={"events": [original]})
        not_a_uuid = other.post("/api/v1/events", json={"events": [event(id="not-a-uuid")]})

    assert answer.status_code == 200
    assert answer.json()["stored"] == 1
    assert answer.json()["rejected"] == [
        {"id": original["id"], "code": "conflict", "error": answer.json()["rejected"][0]["error"]}
    ]
    assert "new UUID" in answer.json()["rejected"][0]["error"]
    # another student sending alice's event id is refused exactly like an id that is no UUID: nothing tells
    # mallory that alice's id exists
    [taken] = replayed.json()["rejected"]
    [invalid] = not_a_uuid.json()["rejected"]
    assert (taken["code"], taken["error"]) == (invalid["code"], invalid["error"]) == ("invalid", INVALID_ID)


def test_duplicate_ids_inside_one_batch_are_a_400(api: LiveServer) -> None:
    one = event()
    with api.client("alice") as client:
        answer = client.post("/api/v1/events", json={"events": [one, event(), {**one, "verb": "viewed"}]})

    assert answer.status_code == 400
    assert answer.json()["error"] == "duplicate_id"
    assert "events 1 and 3" in answer.json()["message"]


INVALID = [
    ({"verb": "liked"}, "verb"),
    ({"id": "not-a-uuid"}, "UUID"),
    ({"object": {"module_id": "Lab Safety"}}, "module_id"),
    ({"result": {"duration": "90 seconds"}}, "ISO 8601 duration"),
    ({"result": {"score": 120}}, "score"),
    ({"context": {"a": {"b": {"c": {"d": {"e": 1}}}}}}, "nested"),
    ({"context": {"blob": "x" * 5000}}, "4096 bytes"),
    ({"timestamp": "2026-12-01T10:00:00"}, "time zone"),
    ({"timestamp": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, "ahead"),
    ({"timestamp": (datetime.now(UTC) - timedelta(days=60)).isoformat()}, "older than"),
    ({"actor": "bob"}, "actor"),
]


def test_an_invalid_event_is_rejected_by_itself(api: LiveServer) -> None:
    with api.client("alice") as client:
        for changes, words in INVALID:
            answer = client.post("/api/v1/events", json={"events": [event(**changes), event()]})

            assert answer.status_code == 200, changes
            assert answer.json()["stored"] == 1, changes
            [rejected] = answer.json()["rejected"]
            assert words in rejected["error"], changes


def test_verb_iris_are_taken_and_unknown_modules_reported(api: LiveServer) -> None:
    with api.client("alice") as client:
        answer = client.post(
            "/api/v1/events",
            json={
                "events": [
                    event(verb="http://adlnet.gov/expapi/verbs/completed"),
                    event(object={"module_id": "no-such-module"}),
                ]
            },
        )

    assert answer.json()["stored"] == 1
    assert answer.json()["rejected"][0]["code"] == "unknown_module"


def test_batch_limits(api: LiveServer) -> None:
    with api.client("alice") as client:
        too_many = client.post("/api/v1/events", json={"events": [event() for _ in range(MAX_EVENTS + 1)]})
        empty = client.post("/api/v1/events", json={"events": []})
        not_a_batch = client.post("/api/v1/events", json=[event()])
        too_big = client.post("/api/v1/events", content=b'{"events": ["' + b"x" * (1024 * 1024) + b'"]}')

    assert too_many.status_code == 422 and str(MAX_EVENTS) in too_many.json()["message"]
    assert empty.status_code == 422
    assert not_a_batch.status_code == 422
    assert too_big.status_code == 413 and too_big.json()["error"] == "request_entity_too_large"


def test_the_events_table_stays_append_only(api: LiveServer, deployed: Settings) -> None:
    with api.client("alice") as client:
        client.post("/api/v1/events", json={"events": [event()]})
    engine = engine_for(deployed.database_url or "")
    with pytest.raises(DBAPIError, match="append-only"):
        execute(engine, "UPDATE module_analytics_events SET event_type = 'viewed'")
    engine.dispose()
