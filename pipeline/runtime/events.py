"""POST /api/v1/events: batches of xAPI-shaped analytics events, each stored at most once per client UUID.

The actor is the token's student. A retried batch is harmless: an id already stored with the same content counts
as a duplicate; the same id with other content is reported per item (409 semantics), never overwritten — the
table is append-only. Every limit below is documented in docs/runtime-api.md.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from pipeline.module.document import is_valid_id
from pipeline.runtime.errors import ApiError
from pipeline.runtime.wire import parse_iso

MAX_EVENTS = 500
MAX_BODY_BYTES = 1024 * 1024  # the whole batch; Flask answers 413 beyond it
MAX_CONTEXT_BYTES = 4096
MAX_CONTEXT_DEPTH = 4
MAX_RESPONSE_LENGTH = 1000
MAX_FUTURE_SKEW = timedelta(minutes=5)  # a client clock ahead by more than this is wrong, not early
MAX_AGE = timedelta(days=30)  # an offline client may send late, but not from last term
MAX_DURATION = timedelta(hours=24)
# Short verbs, and the xAPI IRIs that mean the same (ADL vocabulary; the video profile for paused/resumed/seeked).
VERBS = ("viewed", "started", "progressed", "completed", "answered", "passed", "failed", "paused", "resumed", "seeked")
_ADL = "http://adlnet.gov/expapi/verbs/"
_VIDEO = "https://w3id.org/xapi/video/verbs/"
VERB_IRIS = {
    _ADL + "experienced": "viewed",
    "http://id.tincanapi.com/verb/viewed": "viewed",
    _ADL + "initialized": "started",
    _ADL + "attempted": "started",
    _ADL + "progressed": "progressed",
    _ADL + "completed": "completed",
    _ADL + "answered": "answered",
    _ADL + "passed": "passed",
    _ADL + "failed": "failed",
    _VIDEO + "paused": "paused",
    _VIDEO + "played": "resumed",
    _VIDEO + "seeked": "seeked",
}
_EVENT_KEYS = frozenset({"id", "verb", "object", "result", "context", "timestamp"})
_OBJECT_KEYS = frozenset({"module_id", "section_id", "revision"})
_RESULT_KEYS = frozenset({"score", "success", "completion", "duration", "response"})
_DURATION = re.compile(
    r"P(?!$)(?:(?P<days>\d+)D)?(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)

_STORE_SQL = text("""
    WITH incoming AS (
        SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:modules AS text[]), CAST(:sections AS text[]),
                             CAST(:verbs AS text[]), CAST(:payloads AS jsonb[]), CAST(:times AS timestamptz[]),
                             CAST(:revisions AS int[]))
             AS i(event_uuid, module_id, section_id, verb, payload, occurred_at, revision)
    ), stored AS (
        INSERT INTO module_analytics_events (event_uuid, module_id, section_id, student_id, event_type, payload,
                                             occurred_at, revision, experiment_id, arm)
        SELECT i.event_uuid, i.module_id, i.section_id, :student, i.verb, i.payload, i.occurred_at, i.revision,
               x.experiment_id, x.arm
        FROM incoming i JOIN modules m ON m.module_id = i.module_id
        -- the arm the server served this section from (experiment_assignments), never the client's word
        LEFT JOIN LATERAL (SELECT a.experiment_id, a.arm FROM experiment_assignments a
                           WHERE a.module_id = i.module_id AND a.student_id = :student
                             AND i.section_id = ANY(a.stamped_sections)
                           ORDER BY a.exposed_at, a.id LIMIT 1) x ON true
        ON CONFLICT (event_uuid) DO NOTHING
        RETURNING event_uuid
    )
    SELECT i.event_uuid::text AS id,
           CASE WHEN s.event_uuid IS NOT NULL THEN 'stored'
                WHEN NOT EXISTS (SELECT 1 FROM modules m WHERE m.module_id = i.module_id) THEN 'unknown_module'
                WHEN e.event_uuid IS NULL THEN 'raced'
                WHEN e.student_id = :student AND e.payload = i.payload THEN 'duplicate'
                ELSE 'conflict' END AS outcome
    FROM incoming i
    LEFT JOIN stored s ON s.event_uuid = i.event_uuid
    LEFT JOIN module_analytics_events e ON e.event_uuid = i.event_uuid
""")
# An id stored by a concurrent request after our statement's snapshot: compare with what it stored.
_RACED_SQL = text("""
    SELECT event_uuid::text AS id, student_id = :student AND payload = CAST(:payload AS jsonb) AS same
    FROM module_analytics_events WHERE event_uuid = CAST(:id AS uuid)
""")


@dataclass(frozen=True)
class Event:
    """One checked event, as stored."""

    id: str
    module_id: str
    section_id: str | None
    revision: int | None
    verb: str
    occurred_at: datetime
    payload: str  # canonical JSON: verb, object, result, context, timestamp


class Rejected(Exception):
    """One event of a batch refused; the others go on."""


def parse_batch(body: Any, now: datetime) -> tuple[list[Event], list[dict[str, Any]]]:
    """The batch's valid events and the rejected ones; ApiError 400/422 when the batch itself is wrong."""
    if not isinstance(body, dict) or not isinstance(body.get("events"), list) or set(body) - {"events"}:
        raise ApiError(422, "invalid_request", 'send {"events": [ … up to 500 events … ]}')
    items: list[Any] = body["events"]
    if not 1 <= len(items) <= MAX_EVENTS:
        raise ApiError(422, "invalid_request", f"a batch holds 1 to {MAX_EVENTS} events, not {len(items)}")
    seen: dict[str, int] = {}
    for number, item in enumerate(items, start=1):
        raw = item.get("id") if isinstance(item, dict) else None
        key = _canonical_uuid(raw) if isinstance(raw, str) else None
        if key is None:
            continue
        if key in seen:
            raise ApiError(
                400,
                "duplicate_id",
                f"events {seen[key]} and {number} carry the same id {key}; give each event its own UUID",
            )
        seen[key] = number
    events: list[Event] = []
    rejected: list[dict[str, Any]] = []
    for item in items:
        try:
            events.append(parse_event(item, now))
        except Rejected as exc:
            raw = item.get("id") if isinstance(item, dict) else None
            rejected.append({"id": raw if isinstance(raw, str) else None, "code": "invalid", "error": str(exc)})
    return events, rejected


def parse_event(item: Any, now: datetime) -> Event:
    """One event, checked against the documented shape and limits."""
    if not isinstance(item, dict):
        raise Rejected("an event is a JSON object")
    unknown = sorted(set(item) - _EVENT_KEYS)
    if unknown:
        raise Rejected(f"unknown field(s) {', '.join(unknown)}")
    raw_id = item.get("id")
    event_id = _canonical_uuid(raw_id) if isinstance(raw_id, str) else None
    if event_id is None:
        raise Rejected("id must be a UUID made by the client, such as 3f2b…-…")
    verb = _verb(item.get("verb"))
    obj = item.get("object")
    if not isinstance(obj, dict) or set(obj) - _OBJECT_KEYS:
        raise Rejected("object must be {module_id, section_id (optional), revision (optional)}")
    module_id = obj.get("module_id")
    if not isinstance(module_id, str) or not is_valid_id(module_id):
        raise Rejected("object.module_id must be a module id such as lab-safety-101")
    section_id = obj.get("section_id")
    if section_id is not None and (not isinstance(section_id, str) or not 1 <= len(section_id) <= 200):
        raise Rejected("object.section_id must be a section id (1 to 200 characters)")
    revision = obj.get("revision")
    if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int) or revision < 1):
        raise Rejected("object.revision must be a whole number from 1")
    result = _result(item.get("result"))
    context = item.get("context")
    if context is not None:
        _check_context(context)
    occurred_at = _timestamp(item.get("timestamp"), now)
    payload = {
        "verb": verb,
        "object": {"module_id": module_id, "section_id": section_id, "revision": revision},
        "result": result,
        "context": context,
        "timestamp": occurred_at.isoformat().replace("+00:00", "Z"),
    }
    return Event(event_id, module_id, section_id, revision, verb, occurred_at, json.dumps(payload, sort_keys=True))


def store_events(engine: Engine, student_id: str, events: Sequence[Event]) -> dict[str, Any]:
    """Store the events once each, in one statement; count stored and duplicates, report conflicts per item."""
    outcome: dict[str, str] = {}
    if events:
        with engine.begin() as conn:
            # Analytics, not records: the commit does not wait for the WAL flush (a database crash may lose the last
            # fraction of a second of events, never corrupt them). Transaction-scoped, so fine behind PgBouncer.
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            rows = conn.execute(
                _STORE_SQL,
                {
                    "student": student_id,
                    "ids": [e.id for e in events],
                    "modules": [e.module_id for e in events],
                    "sections": [e.section_id for e in events],
                    "verbs": [e.verb for e in events],
                    "payloads": [e.payload for e in events],
                    "times": [e.occurred_at for e in events],
                    "revisions": [e.revision for e in events],
                },
            ).all()
            outcome = {r.id: r.outcome for r in rows}
            for event in events:
                if outcome[event.id] == "raced":
                    again = conn.execute(_RACED_SQL, {"id": event.id, "payload": event.payload, "student": student_id})
                    same = again.first()
                    outcome[event.id] = "duplicate" if same is not None and same.same else "conflict"
    rejected = []
    for event in events:
        if outcome[event.id] == "conflict":
            rejected.append(
                {
                    "id": event.id,
                    "code": "conflict",
                    "error": "an event with this id was already stored with other content; "
                    "a new event needs a new UUID",
                }
            )
        elif outcome[event.id] == "unknown_module":
            rejected.append(
                {"id": event.id, "code": "unknown_module", "error": f"module {event.module_id!r} does not exist"}
            )
    counts = list(outcome.values())
    return {"stored": counts.count("stored"), "duplicates": counts.count("duplicate"), "rejected": rejected}


def _canonical_uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _verb(value: Any) -> str:
    if isinstance(value, str) and value in VERBS:
        return value
    if isinstance(value, str) and value in VERB_IRIS:
        return VERB_IRIS[value]
    raise Rejected(f"verb {str(value)[:80]!r} is not known; use one of {', '.join(VERBS)} (or its xAPI IRI)")


def _result(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - _RESULT_KEYS:
        raise Rejected(f"result takes {', '.join(sorted(_RESULT_KEYS))}")
    score = value.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 100):
        raise Rejected("result.score must be a number from 0 to 100")
    for flag in ("success", "completion"):
        if value.get(flag) is not None and not isinstance(value[flag], bool):
            raise Rejected(f"result.{flag} must be true or false")
    duration = value.get("duration")
    if duration is not None:
        _check_duration(duration)
    response = value.get("response")
    if response is not None and (not isinstance(response, str) or len(response) > MAX_RESPONSE_LENGTH):
        raise Rejected(f"result.response must be text of at most {MAX_RESPONSE_LENGTH} characters")
    return {k: value[k] for k in sorted(value) if value[k] is not None}


def _check_duration(value: Any) -> None:
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise Rejected(f"result.duration {str(value)[:40]!r} is not an ISO 8601 duration such as PT30S or PT2M5S")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    if timedelta(**parts) > MAX_DURATION:
        raise Rejected("result.duration is longer than 24 hours")


def _check_context(value: Any) -> None:
    if not isinstance(value, dict):
        raise Rejected("context must be a JSON object")
    if _depth(value) > MAX_CONTEXT_DEPTH:
        raise Rejected(f"context is nested deeper than {MAX_CONTEXT_DEPTH} levels")
    if len(json.dumps(value).encode("utf-8")) > MAX_CONTEXT_BYTES:
        raise Rejected(f"context is larger than {MAX_CONTEXT_BYTES} bytes")


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _timestamp(value: Any, now: datetime) -> datetime:
    if not isinstance(value, str):
        raise Rejected("timestamp must be an ISO 8601 UTC date-time such as 2026-12-01T10:00:00Z")
    try:
        parsed = parse_iso(value, "timestamp", "2026-12-01T10:00:00Z")
    except ValueError as exc:
        raise Rejected(str(exc)) from None
    if parsed > now + MAX_FUTURE_SKEW:
        raise Rejected(
            f"timestamp is {int((parsed - now).total_seconds())} s ahead of the server's clock "
            f"(at most {int(MAX_FUTURE_SKEW.total_seconds())} s): check the device's clock"
        )
    if parsed < now - MAX_AGE:
        raise Rejected(f"timestamp is older than {MAX_AGE.days} days: such events are no longer taken")
    return parsed
