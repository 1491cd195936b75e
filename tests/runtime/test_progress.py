"""Progress: idempotent and monotonic, keyed by section_id, and true to the rules across real deploys."""

from __future__ import annotations

from typing import Any

import httpx

from pipeline.deploy.apply import deploy
from pipeline.settings import Settings
from tests.module_builders import export_edit, text_section
from tests.runtime.graded import SAFETY_KEY, attempt, complete_lab_graded_sections
from tests.runtime.live import LiveServer
from tests.sql import scalar

MODULE = "/api/v1/me/modules/lab-safety-101"


def put(client: httpx.Client, section_id: str, state: str, score: int | None = None) -> httpx.Response:
    body: dict[str, Any] = {"state": state} if score is None else {"state": state, "score": score}
    return client.put(f"{MODULE}/sections/{section_id}/progress", json=body)


def sections(progress: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["section_id"]: s for s in progress["sections"]}


def test_progress_is_idempotent_and_monotonic(api: LiveServer, deployed: Settings) -> None:
    with api.client("alice") as client:
        first = put(client, "emergency-video", "completed", 80)
        repeated = put(client, "emergency-video", "completed", 80)
        lower = put(client, "emergency-video", "completed", 60)
        backwards = put(client, "emergency-video", "started")

    assert first.status_code == 200
    assert first.json()["state"] == "completed" and first.json()["score"] == 80
    assert repeated.json() == first.json()
    assert lower.json()["score"] == 80  # the best score is kept
    assert backwards.json()["state"] == "completed"  # completed stays completed
    assert backwards.json()["completed_at"] == first.json()["completed_at"]
    engine_url = deployed.database_url
    assert engine_url
    from pipeline.db.engine import engine_for

    engine = engine_for(engine_url)
    assert scalar(engine, "SELECT count(*) FROM module_progress WHERE student_id = 'alice'") == 1
    engine.dispose()


def test_module_progress_gives_percent_resume_point_and_states(api: LiveServer) -> None:
    with api.client("alice") as client:
        put(client, "welcome", "completed")
        put(client, "ppe-requirements", "started")
        progress = client.get(f"{MODULE}/progress").json()
        listed = {m["module_id"]: m for m in client.get("/api/v1/modules").json()["modules"]}

    assert progress["percent"] == 20
    assert progress["state"] == "started"
    assert progress["resume_section_id"] == "ppe-requirements"
    assert [s["state"] for s in progress["sections"]] == [
        "completed",
        "started",
        "not_started",
        "not_started",
        "not_started",
    ]
    assert listed["lab-safety-101"]["state"] == "started" and listed["lab-safety-101"]["percent"] == 20


def test_completing_a_prerequisite_unlocks_the_next_module(api: LiveServer) -> None:
    with api.client("alice") as client:
        locked = client.put(
            "/api/v1/me/modules/equipment-tour/sections/power-supply/progress", json={"state": "started"}
        )
        for section in ("welcome", "ppe-requirements", "emergency-video"):
            assert put(client, section, "completed").status_code == 200
        complete_lab_graded_sections(client)
        listed = {m["module_id"]: m for m in client.get("/api/v1/modules").json()["modules"]}
        done = client.get(f"{MODULE}/progress").json()

    assert locked.status_code == 409
    assert locked.json()["error"] == "locked" and "lab-safety-101" in locked.json()["message"]
    assert listed["lab-safety-101"]["state"] == "completed" and listed["lab-safety-101"]["percent"] == 100
    assert listed["equipment-tour"]["state"] == "available"
    assert done["resume_section_id"] is None


def test_revision_rules_across_real_deploys(api: LiveServer, deployed: Settings) -> None:
    # given alice's progress on revision 1
    with api.client("alice") as client:
        put(client, "welcome", "completed")
        put(client, "ppe-requirements", "completed")
        assert attempt(client, "safety-check", answers=SAFETY_KEY).json()["score"] == 100

    # when the module is edited and deployed: welcome's text changed, ppe-requirements removed, safety-check only
    # retitled, a fire-drill section added
    def edit(module: dict[str, Any]) -> None:
        by_id = {s["section_id"]: s for s in module["sections"]}
        by_id["welcome"]["content"] += "\n\nNew: eye-wash stations moved to room 2."
        by_id["safety-check"]["title"] = "Final Safety Check"
        kept = [s for s in module["sections"] if s["section_id"] != "ppe-requirements"]
        kept.append(text_section("fire-drill", 0, "Walk the evacuation route."))
        for number, section in enumerate(kept, start=1):
            section["section_number"] = number
        module["sections"] = kept

    export_edit(deployed.modules_dir, "lab-safety-101", edit)
    assert [c.action for c in deploy(None, deployed).plan.of("updated")] == ["updated"]
    with api.client("alice") as client:
        progress = client.get(f"{MODULE}/progress").json()
        recompleted = put(client, "welcome", "completed").json()
        after = sections(client.get(f"{MODULE}/progress").json())
    with api.client("teacher", staff=True) as staff:
        stats = staff.get("/api/v1/modules/lab-safety-101/stats").json()

    # then
    current = sections(progress)
    assert progress["revision"] == 2
    assert list(current) == ["welcome", "emergency-video", "locate-equipment", "safety-check", "fire-drill"]
    assert "ppe-requirements" not in current  # removed: kept in the database, no longer counted
    assert current["welcome"]["state"] == "completed" and current["welcome"]["changed_since_completion"] is True
    assert current["safety-check"]["changed_since_completion"] is False  # a retitle is not a content change
    assert current["safety-check"]["score"] == 100
    assert current["fire-drill"]["state"] == "not_started"
    assert progress["percent"] == 40  # 2 of 5 current sections
    assert progress["resume_section_id"] == "emergency-video"
    assert recompleted["changed_since_completion"] is False
    assert after["welcome"]["changed_since_completion"] is False
    per_section = {s["section_id"]: s for s in stats["sections"]}
    assert per_section["welcome"]["completed"] == 1
    assert per_section["fire-drill"]["started"] == 0
    from pipeline.db.engine import engine_for

    engine = engine_for(deployed.database_url or "")
    kept_row = "SELECT state FROM module_progress WHERE student_id = 'alice' AND section_id = 'ppe-requirements'"
    assert scalar(engine, kept_row) == "completed"
    engine.dispose()


def test_a_removed_section_counts_again_when_it_comes_back(api: LiveServer, deployed: Settings) -> None:
    with api.client("alice") as client:
        put(client, "ppe-requirements", "completed")
    original = (deployed.modules_dir / "lab-safety-101.json").read_text(encoding="utf-8")

    def remove(module: dict[str, Any]) -> None:
        module["sections"] = [s for s in module["sections"] if s["section_id"] != "ppe-requirements"]
        for number, section in enumerate(module["sections"], start=1):
            section["section_number"] = number

    export_edit(deployed.modules_dir, "lab-safety-101", remove)
    deploy(None, deployed)
    with api.client("alice") as client:
        without = client.get(f"{MODULE}/progress").json()
        (deployed.modules_dir / "lab-safety-101.json").write_text(original, encoding="utf-8")
        deploy(None, deployed)
        back = client.get(f"{MODULE}/progress").json()

    assert without["percent"] == 0
    assert back["revision"] == 3
    assert sections(back)["ppe-requirements"]["state"] == "completed"
    assert back["percent"] == 20


def test_progress_refusals(api: LiveServer, deployed: Settings) -> None:
    with api.client("alice") as client:
        unknown_section = put(client, "no-such-section", "started")
        bad_state = put(client, "welcome", "finished")
        bad_score = put(client, "welcome", "completed", 101)
        extra = client.put(f"{MODULE}/sections/welcome/progress", json={"state": "started", "student_id": "bob"})
        not_json = client.put(f"{MODULE}/sections/welcome/progress", content=b"{nope")
        unknown_module = client.put("/api/v1/me/modules/nope/sections/welcome/progress", json={"state": "started"})
        unknown_progress = client.get("/api/v1/me/modules/nope/progress")
    (deployed.modules_dir / "first-pull-request.json").unlink()
    deploy(None, deployed)
    with api.client("alice") as client:
        archived = client.put(
            "/api/v1/me/modules/first-pull-request/sections/welcome/progress", json={"state": "started"}
        )
        archived_progress = client.get("/api/v1/me/modules/first-pull-request/progress")

    assert unknown_section.status_code == 404 and "revision 1" in unknown_section.json()["message"]
    assert bad_state.status_code == 422 and "state" in bad_state.json()["message"]
    assert bad_score.status_code == 422 and "score" in bad_score.json()["message"]
    assert extra.status_code == 422 and "student_id" in extra.json()["message"]  # the student comes from the token
    assert not_json.status_code == 400
    assert unknown_module.status_code == 404
    assert unknown_progress.status_code == 404
    assert archived.status_code == 410
    assert archived_progress.status_code == 410


def test_staff_read_other_students_and_students_cannot(api: LiveServer) -> None:
    with api.client("alice") as alice:
        put(alice, "welcome", "completed")
        as_student = alice.get("/api/v1/students/bob/modules/lab-safety-101/progress")
        stats_as_student = alice.get("/api/v1/modules/lab-safety-101/stats")
    with api.client("teacher", staff=True) as staff:
        of_alice = staff.get("/api/v1/students/alice/modules/lab-safety-101/progress")
        stats = staff.get("/api/v1/modules/lab-safety-101/stats")

    assert as_student.status_code == 403 and as_student.json()["error"] == "forbidden"
    assert stats_as_student.status_code == 403
    assert of_alice.status_code == 200 and of_alice.json()["student_id"] == "alice"
    assert of_alice.json()["percent"] == 20
    assert stats.json()["learners"] == 1
