"""Bodies an attacker sends: each bad value is refused by itself, and no body, however odd, gets a 500."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.runtime.storable import MAX_BODY_DEPTH
from pipeline.settings import Settings
from tests.runtime.live import LiveServer
from tests.runtime.test_events import event
from tests.sql import scalar

# Values PostgreSQL cannot store, each one a crash (OverflowError, DataError, RecursionError) before the checks.
UNSTORABLE_EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("revision past int4", {"object": {"module_id": "lab-safety-101", "revision": 2147483648}}),
    ("NaN in context", {"context": {"x": float("nan")}}),
    ("Infinity in context", {"context": {"x": float("inf")}}),
    ("a number too large for a double", {"context": {"x": "__1e999__"}}),
    ("a timestamp that is year 10000 in UTC", {"timestamp": "9999-12-31T23:59:59-23:59"}),
    ("a duration of 274 million years", {"result": {"duration": "P99999999999D"}}),
    ("a section id with NUL", {"object": {"module_id": "lab-safety-101", "section_id": "a\x00b"}}),
]


def _raw(body: Any) -> bytes:
    # json.dumps writes NaN and Infinity as JavaScript does, which is what a hostile client sends
    return json.dumps(body, allow_nan=True).replace('"__1e999__"', "1e999").encode()


def _post(client: httpx.Client, body: bytes) -> httpx.Response:
    return client.post("/api/v1/events", content=body, headers={"Content-Type": "application/json"})


def test_each_value_the_database_cannot_store_is_rejected_alone_and_its_neighbours_are_stored(
    api: LiveServer, deployed: Settings
) -> None:
    with api.client("alice") as client:
        for what, changes in UNSTORABLE_EVENTS:
            bad, good = event(**changes), event()
            answer = _post(client, _raw({"events": [good, bad]}))

            assert answer.status_code == 200, (what, answer.text)
            assert answer.json()["stored"] == 1, what
            [rejected] = answer.json()["rejected"]
            assert (rejected["id"], rejected["code"]) == (bad["id"], "invalid"), what
    from pipeline.db.engine import engine_for

    engine = engine_for(deployed.database_url or "")
    assert scalar(engine, "SELECT count(*) FROM module_analytics_events") == len(UNSTORABLE_EVENTS)
    engine.dispose()


def test_five_thousand_nested_brackets_are_a_400_from_the_parser(api: LiveServer) -> None:
    with api.client("alice") as client:
        deep = client.post("/api/v1/events", content=b"[" * 5000 + b"]" * 5000)
        just_too_deep = client.post("/api/v1/events", content=json.dumps({"events": _nested(MAX_BODY_DEPTH)}))
        progress = client.put(
            "/api/v1/me/modules/lab-safety-101/sections/welcome/progress", content=b"{" + b'"a":[' * 5000
        )

    for answer in (deep, just_too_deep):
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_json")
        assert f"more than {MAX_BODY_DEPTH} levels" in answer.json()["message"]
    assert progress.status_code == 400


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def test_query_and_path_values_the_database_cannot_store_are_422s(api: LiveServer) -> None:
    with api.client("alice") as client:
        nul_section = client.put("/api/v1/me/modules/lab-safety-101/sections/a%00b/progress", json={"state": "started"})
        superscript = client.get("/api/v1/modules?limit=%C2%B2")
        arabic_three = client.get("/api/v1/modules?limit=%D9%A3")
    with api.client("sam", staff=True) as staff:
        year_zero = staff.put(
            "/api/v1/students/alice/assignments/lab-safety-101", json={"due_at": "0001-01-01T00:00:00+23:59"}
        )

    assert (nul_section.status_code, nul_section.json()["error"]) == (422, "invalid_request")
    assert "NUL" in nul_section.json()["message"]
    for answer in (superscript, arabic_three):  # '٣' is not taken as 3: only ASCII digits are numbers
        assert answer.status_code == 422 and "limit must be a whole number" in answer.json()["message"]
    assert year_zero.status_code == 422 and "years 1 to 9999" in year_zero.json()["message"]


# --- property: no body is a 500 ---
HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+23:59",
            "P99999999999D",
            "PT99999999999999999999H",
            "P1DT1.5S",
            "\x00",
            "\ud800",
            "٣",
            "lab-safety-101",
            "welcome",
        ]
    ),
    st.recursive(st.integers() | st.text(max_size=5), lambda inner: st.lists(inner, max_size=3), max_leaves=8),
)


# Per field, values an attacker tries there: past the column's range, past the calendar, NaN, NUL, deep lists.
EXTREME_OFFSET = st.builds(
    lambda day, sign, minutes: f"{day}{sign}{minutes // 60:02d}:{minutes % 60:02d}",
    st.sampled_from(["9999-12-31T23:59:59", "0001-01-01T00:00:00", "2026-12-01T10:00:00"]),
    st.sampled_from(["+", "-"]),
    st.integers(min_value=0, max_value=23 * 60 + 59),
)
FIELD_ATTACKS: dict[str, st.SearchStrategy[Any]] = {
    "revision": st.sampled_from([2**31 - 1, 2**31, 2**63, 2**64, 0, -1]) | st.integers() | HOSTILE,
    "section_id": st.sampled_from(["a\x00b", "x\ud800"]) | st.text(max_size=8) | HOSTILE,
    "module_id": HOSTILE,
    "timestamp": EXTREME_OFFSET | HOSTILE,
    "duration": st.from_regex(r"\AP[0-9]{1,14}D\Z|\APT[0-9]{1,25}[HMS]\Z") | HOSTILE,
    "score": st.floats(allow_nan=True, allow_infinity=True) | HOSTILE,
    "context": st.dictionaries(st.text(max_size=3), HOSTILE, max_size=3),
}


# The places where a value reaches PostgreSQL (the other fields are refused by shape, tested above).
PLACES = [("id",), ("timestamp",), ("context",)] + [
    (part, name)
    for part, names in (("object", ("section_id", "revision")), ("result", ("duration",)))
    for name in names
]


@st.composite
def hostile_event(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event but for one or two places (a field, or a field inside object or result) made hostile."""
    body = event(id=str(uuid.UUID(int=draw(st.integers(min_value=0, max_value=2**128 - 1)))))
    for place in draw(st.lists(st.sampled_from(PLACES), min_size=1, max_size=2, unique=True)):
        value = draw(FIELD_ATTACKS.get(place[-1], HOSTILE))
        if len(place) == 1:
            body[place[0]] = value
        elif isinstance(body.get(place[0]), dict):
            body[place[0]][place[1]] = value
    return body


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(hostile_event(), min_size=1, max_size=3, unique_by=lambda e: repr(e.get("id"))))
def test_no_event_batch_is_a_500(api: LiveServer, events: list[dict[str, Any]]) -> None:
    with api.client("alice") as client:
        answer = _post(client, _raw({"events": events}))

    assert answer.status_code in (200, 400, 422), answer.text
    if answer.status_code == 200:
        counted = answer.json()["stored"] + answer.json()["duplicates"] + len(answer.json()["rejected"])
        assert counted == len(events)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.fixed_dictionaries(
        {"state": st.sampled_from(["started", "completed"]) | HOSTILE},
        optional={"score": st.integers(min_value=0, max_value=100) | FIELD_ATTACKS["score"], "extra": HOSTILE},
    ),
    section=st.sampled_from(["welcome", "safety-check", "a\x00b", "\x00", "x\ud800"]) | st.text(max_size=8),
)
def test_no_progress_body_is_a_500(api: LiveServer, body: dict[str, Any], section: Any) -> None:
    text = str(section) if str(section) not in ("", ".", "..") else "welcome"
    section_id = quote(text.encode("utf-8", "surrogatepass"), safe="")
    with api.client("alice") as client:
        answer = client.put(
            f"/api/v1/me/modules/lab-safety-101/sections/{section_id}/progress",
            content=_raw(body),
            headers={"Content-Type": "application/json"},
        )

    assert answer.status_code in (200, 400, 404, 422), answer.text


def test_every_problem_of_a_progress_body_is_reported(api: LiveServer) -> None:
    with api.client("alice") as client:
        answer = client.put(
            "/api/v1/me/modules/lab-safety-101/sections/welcome/progress",
            json={"state": "done", "score": 101, "comment": "x"},
        )

    assert answer.status_code == 422
    message = answer.json()["message"]
    assert "comment" in message and "state must be" in message and "score must be" in message
