"""A student is served their arm of a running experiment: the same one across revisions, workers and restarts,
logged once as an exposure; staff choose any arm; events carry the arm the server served."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import event, text

from pipeline.db.engine import engine_for
from pipeline.deploy.apply import deploy
from pipeline.experiments.assignment import bucket_ranges, choose_arm, hash_value
from pipeline.runtime import create_app
from pipeline.settings import Settings
from tests.experiments.conftest import DEMO
from tests.runtime.live import LiveServer

MODULE = "/api/v1/modules/ppe-basics"


def _expected_arm(student: str) -> str:
    index = choose_arm(hash_value("ppe-video-vs-text", student, 2) or 0.0, bucket_ranges(2, 1, [0.5, 0.5]))
    return ["control", "video"][index]


def _tested_section(body: dict) -> dict:
    return next(s for s in body["sections"] if s["section_id"] == "choosing-ppe")


def _rows(settings: Settings, sql: str, **params) -> list:
    engine = engine_for(settings.database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def test_each_student_sees_the_arm_growthbook_gives_them(demo_api: LiveServer) -> None:
    seen = {}
    for number in range(12):
        student = f"student-{number}"
        with demo_api.client(student) as client:
            body = client.get(MODULE).json()
        section = _tested_section(body)
        seen[student] = "video" if section["section_type"] == "video" else "control"
        assert [s["section_id"] for s in body["sections"]] == ["why-ppe", "choosing-ppe", "ppe-check"]
    assert seen == {student: _expected_arm(student) for student in seen}
    assert set(seen.values()) == {"control", "video"}


def test_the_arm_has_its_own_etag_and_a_warm_304_asks_the_database_nothing(demo_api: LiveServer) -> None:
    students = {arm: next(f"s{n}" for n in range(100) if _expected_arm(f"s{n}") == arm) for arm in ("control", "video")}
    etags = {}
    for arm, student in students.items():
        with demo_api.client(student) as client:
            etags[arm] = client.get(MODULE).headers["ETag"]
    assert etags["control"] != etags["video"]
    statements: list[str] = []
    engine = demo_api.app.extensions["frames_runtime"].engine
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with demo_api.client(students["video"]) as client:
        again = client.get(MODULE, headers={"If-None-Match": etags["video"]})
        full = client.get(MODULE)
    assert again.status_code == 304
    assert full.status_code == 200 and _tested_section(full.json())["section_type"] == "video"
    stamp_reads = [s for s in statements if "max(id) FROM module_revisions" in s]
    assert statements == stamp_reads  # with a zero cache TTL the deploy stamp is read; nothing about the student


def test_the_exposure_is_logged_once_and_the_arm_survives_revisions_workers_and_restarts(
    demo_api: LiveServer, demo_deployed: Settings
) -> None:
    student = "kim"
    with demo_api.client(student) as client:
        first = _tested_section(client.get(MODULE).json())
        client.get(MODULE)
    other_worker = LiveServer(create_app(demo_deployed, host="127.0.0.1"))
    try:
        with other_worker.client(student) as client:
            assert _tested_section(client.get(MODULE).json()) == first
    finally:
        other_worker.close()
    changed = json.loads(DEMO.read_text(encoding="utf-8"))
    changed["title"] = "PPE Basics (2nd edition)"  # a new revision; the running experiment is untouched
    (demo_deployed.modules_dir / DEMO.name).write_text(json.dumps(changed), encoding="utf-8")
    deploy(None, demo_deployed)
    restarted = LiveServer(create_app(demo_deployed, host="127.0.0.1"))
    try:
        with restarted.client(student) as client:
            body = client.get(MODULE).json()
        assert body["revision"] == 2 and _tested_section(body) == first
    finally:
        restarted.close()
    assignments = _rows(demo_deployed, "SELECT arm, revision FROM experiment_assignments WHERE student_id = 'kim'")
    exposures = _rows(
        demo_deployed,
        "SELECT experiment_id, arm FROM module_analytics_events WHERE student_id = 'kim' AND event_type = 'exposed'",
    )
    assert [(a.arm, a.revision) for a in assignments] == [(_expected_arm(student), 1)]
    assert [(e.experiment_id, e.arm) for e in exposures] == [("ppe-video-vs-text", _expected_arm(student))]


def test_a_weight_change_does_not_move_students_already_assigned(demo_api: LiveServer, demo_deployed: Settings) -> None:
    students = [f"learner-{n}" for n in range(40)]
    before = {}
    for student in students:
        with demo_api.client(student) as client:
            before[student] = _tested_section(client.get(MODULE).json())["section_type"]
    engine = engine_for(demo_deployed.database_url)
    with engine.begin() as conn:  # an operator edits the live revision by hand: 100/0, everyone to the control
        conn.execute(
            text(
                "UPDATE module_revisions SET document = jsonb_set(jsonb_set(document, "
                "'{experiments,0,arms,0,weight}', '100'), '{experiments,0,arms,1,weight}', '0') "
                "WHERE module_id = 'ppe-basics'"
            )
        )
    engine.dispose()
    restarted = LiveServer(create_app(demo_deployed, host="127.0.0.1"))
    try:
        after = {}
        for student in [*students, "newcomer-1", "newcomer-2", "newcomer-3"]:
            with restarted.client(student) as client:
                after[student] = _tested_section(client.get(MODULE).json())["section_type"]
    finally:
        restarted.close()
    assert {s: after[s] for s in students} == before
    assert "video" in before.values()
    assert [after[f"newcomer-{n}"] for n in (1, 2, 3)] == ["text", "text", "text"]


def test_staff_view_any_arm_and_students_cannot_choose(demo_api: LiveServer) -> None:
    with demo_api.client("teacher", staff=True) as staff:
        video = staff.get(MODULE, params={"arm": "video"})
        control = staff.get(MODULE)
        unknown = staff.get(MODULE, params={"arm": "audio"})
    assert _tested_section(video.json())["section_type"] == "video"
    assert _tested_section(control.json())["section_type"] == "text"
    assert unknown.status_code == 422 and "ppe-video-vs-text:video" in unknown.text
    with demo_api.client("alice") as student:
        refused = student.get(MODULE, params={"arm": "video"})
    assert refused.status_code == 403
    assert _rows_of_staff(demo_api) == []


def _rows_of_staff(api: LiveServer) -> list:
    engine = api.app.extensions["frames_runtime"].engine
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT 1 FROM experiment_assignments WHERE student_id = 'teacher'")))


def test_events_carry_the_arm_the_server_served_not_the_clients_word(demo_api: LiveServer) -> None:
    student = next(f"e{n}" for n in range(100) if _expected_arm(f"e{n}") == "video")
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    with demo_api.client(student) as client:
        client.get(MODULE)
        events = [
            {
                "id": str(uuid.uuid4()),
                "verb": "completed",
                "object": {"module_id": "ppe-basics", "section_id": section},
                "context": {"experiment_id": "spoofed", "arm": "control"},
                "timestamp": now,
            }
            for section in ("choosing-ppe", "ppe-check", "why-ppe")
        ]
        assert client.post("/api/v1/events", json={"events": events}).json()["stored"] == 3
    engine = demo_api.app.extensions["frames_runtime"].engine
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT section_id, experiment_id, arm FROM module_analytics_events "
                "WHERE student_id = :s AND event_type = 'completed' ORDER BY section_id"
            ),
            {"s": student},
        ).all()
    assert [tuple(r) for r in rows] == [
        ("choosing-ppe", "ppe-video-vs-text", "video"),
        ("ppe-check", "ppe-video-vs-text", "video"),
        ("why-ppe", None, None),
    ]


def test_concurrent_first_requests_on_two_workers_log_one_exposure(
    demo_api: LiveServer, demo_deployed: Settings
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    other = LiveServer(create_app(demo_deployed, host="127.0.0.1"))
    try:

        def fetch(number: int) -> str:
            server = demo_api if number % 2 else other
            with server.client("racer") as client:
                return _tested_section(client.get(MODULE).json())["section_type"]

        with ThreadPoolExecutor(max_workers=8) as pool:
            seen = set(pool.map(fetch, range(16)))
    finally:
        other.close()
    assert len(seen) == 1
    assert len(_rows(demo_deployed, "SELECT 1 FROM experiment_assignments WHERE student_id = 'racer'")) == 1
    exposures = "SELECT 1 FROM module_analytics_events WHERE student_id = 'racer' AND event_type = 'exposed'"
    assert len(_rows(demo_deployed, exposures)) == 1
