"""Attempts graded by the server: right and wrong, retries, revisions, limits, and progress that follows the grade."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from pipeline.db.engine import engine_for
from pipeline.deploy.apply import deploy
from pipeline.settings import Settings
from tests.module_builders import export_edit
from tests.runtime.graded import ALL_EQUIPMENT, LAB, SAFETY_KEY, SAFETY_WRONG, attempt
from tests.runtime.live import LiveServer
from tests.sql import scalar

TOUR = "/api/v1/me/modules/equipment-tour"


@pytest.fixture
def engine(deployed: Settings) -> Iterator[Engine]:
    engine = engine_for(deployed.database_url or "")
    yield engine
    engine.dispose()


def _quiz(deployed: Settings, module_id: str, section_id: str, change: Any) -> None:
    """Edit one quiz's content in the module file and deploy it (a new revision)."""

    def edit(module: dict[str, Any]) -> None:
        change(next(s for s in module["sections"] if s["section_id"] == section_id)["content"])

    export_edit(deployed.modules_dir, module_id, edit)
    deploy(None, deployed)


def test_a_right_answer_passes_and_completes_the_section(api: LiveServer, engine: Engine) -> None:
    with api.client("alice") as client:
        answer = attempt(client, "safety-check", answers=SAFETY_KEY)
        progress = client.get(f"{LAB}/progress").json()

    assert answer.status_code == 201
    body = answer.json()
    assert (body["attempt"], body["score"], body["passed"], body["revision"]) == (1, 100, True, 1)
    assert [(q["question_id"], q["correct"]) for q in body["questions"]] == [
        ("eye-contact", True),
        ("after-hours", True),
        ("ppe-soldering", True),
    ]
    assert body["questions"][0]["explanation"] == "Rinse first, for at least 15 minutes, then report."
    assert body["progress"]["state"] == "completed" and body["progress"]["score"] == 100
    section = next(s for s in progress["sections"] if s["section_id"] == "safety-check")
    assert section["state"] == "completed" and section["score"] == 100
    stored = "SELECT attempt_number, score, passed, revision FROM module_attempts WHERE student_id = 'alice'"
    assert scalar(engine, f"SELECT count(*) FROM ({stored}) a") == 1
    event = "SELECT payload FROM module_analytics_events WHERE student_id = 'alice' AND event_type = 'answered'"
    payload = scalar(engine, event)
    assert payload["result"] == {"score": 100, "success": True, "completion": True}
    assert payload["object"] == {"module_id": "lab-safety-101", "section_id": "safety-check", "revision": 1}


def test_a_wrong_answer_is_marked_without_giving_the_right_choice(api: LiveServer) -> None:
    with api.client("alice") as client:
        answer = attempt(client, "safety-check", answers=SAFETY_WRONG)
        progress = client.get(f"{LAB}/progress").json()

    body = answer.json()
    assert (body["score"], body["passed"]) == (0, False)
    assert all(not q["correct"] and "revealed_choice" not in q for q in body["questions"])
    assert "correct_choice" not in answer.text
    assert body["questions"][0]["explanation"]  # answered, so explained
    section = next(s for s in progress["sections"] if s["section_id"] == "safety-check")
    assert section["state"] == "started" and section["score"] == 0


def test_partial_credit_and_the_best_score_kept(api: LiveServer) -> None:
    with api.client("alice") as client:
        one_right = attempt(client, "safety-check", answers={**SAFETY_WRONG, "eye-contact": 1}).json()
        unanswered = attempt(client, "safety-check", answers={"eye-contact": 1, "after-hours": 1}).json()
        worse = attempt(client, "safety-check", answers=SAFETY_WRONG).json()

    assert (one_right["score"], one_right["passed"]) == (33, False)
    # 2 of 3 right (one left unanswered) is 66 %, and this quiz passes at 66
    assert (unanswered["score"], unanswered["passed"], unanswered["attempt"]) == (66, True, 2)
    skipped = next(q for q in unanswered["questions"] if q["question_id"] == "ppe-soldering")
    assert skipped == {"question_id": "ppe-soldering", "correct": False, "answered": False}
    assert worse["progress"] == {**unanswered["progress"]}  # completed stays, best score 66 kept
    assert worse["progress"]["state"] == "completed" and worse["progress"]["score"] == 66


def test_pass_percent_at_its_edges(api: LiveServer, deployed: Settings) -> None:
    # given the quiz needs 67 %: 2 of 3 (66.7 %, scored 66) falls short; then 0 %: even no right answer passes
    _quiz(deployed, "lab-safety-101", "safety-check", lambda c: c.update(pass_percent=67))
    with api.client("alice") as client:
        short = attempt(client, "safety-check", answers={**SAFETY_KEY, "ppe-soldering": 1}, revision=2).json()
    _quiz(deployed, "lab-safety-101", "safety-check", lambda c: c.update(pass_percent=0))
    with api.client("bob") as client:
        nothing_right = attempt(client, "safety-check", answers=SAFETY_WRONG, revision=3).json()
    _quiz(deployed, "lab-safety-101", "safety-check", lambda c: c.update(pass_percent=100))
    with api.client("carol") as client:
        all_right = attempt(client, "safety-check", answers=SAFETY_KEY, revision=4).json()
        one_wrong = attempt(client, "safety-check", answers={**SAFETY_KEY, "after-hours": 0}, revision=4).json()

    assert (short["score"], short["passed"]) == (66, False)
    assert (nothing_right["score"], nothing_right["passed"]) == (0, True)
    assert (all_right["score"], all_right["passed"]) == (100, True)
    assert (one_wrong["score"], one_wrong["passed"]) == (66, False)


def test_a_retried_attempt_answers_the_same_and_stores_nothing_new(api: LiveServer, engine: Engine) -> None:
    attempt_id = str(uuid.uuid4())
    with api.client("alice") as client:
        first = attempt(client, "safety-check", answers=SAFETY_WRONG, attempt_id=attempt_id)
        again = attempt(client, "safety-check", answers=SAFETY_WRONG, attempt_id=attempt_id)
        other = attempt(client, "safety-check", answers=SAFETY_KEY, attempt_id=attempt_id)
    with api.client("bob") as client:
        stolen = attempt(client, "safety-check", answers=SAFETY_WRONG, attempt_id=attempt_id)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert other.status_code == 409 and other.json()["error"] == "attempt_id_reused"
    assert stolen.status_code == 409
    assert scalar(engine, "SELECT count(*) FROM module_attempts") == 1
    assert scalar(engine, "SELECT count(*) FROM module_analytics_events WHERE event_type = 'answered'") == 1


def test_a_deploy_that_keeps_the_quiz_grades_against_the_served_revision(api: LiveServer, deployed: Settings) -> None:
    with api.client("alice") as client:
        served = client.get("/api/v1/modules/lab-safety-101").json()["revision"]
        # a deploy between fetch and submit that changes the module, not the quiz
        export_edit(deployed.modules_dir, "lab-safety-101", lambda m: m.update(title="Lab Safety 101 (2027)"))
        deploy(None, deployed)
        live = client.get("/api/v1/modules/lab-safety-101").json()["revision"]
        answer = attempt(client, "safety-check", answers=SAFETY_KEY, revision=served)

    assert (served, live) == (1, 2)
    assert answer.status_code == 201
    assert answer.json()["revision"] == 1 and answer.json()["passed"] is True


def test_a_deploy_that_changes_the_quiz_refuses_the_old_answers_with_the_new_revision(
    api: LiveServer, deployed: Settings, engine: Engine
) -> None:
    with api.client("alice") as client:
        served = client.get("/api/v1/modules/lab-safety-101").json()["revision"]

        def swap_choices(content: dict[str, Any]) -> None:  # the right answer of question 2 is now choice 0
            question = content["questions"][1]
            question["choices"].reverse()
            question["correct_choice"] = 0

        _quiz(deployed, "lab-safety-101", "safety-check", swap_choices)
        stale = attempt(client, "safety-check", answers=SAFETY_KEY, revision=served)
        future = attempt(client, "safety-check", answers=SAFETY_KEY, revision=9)
        fresh = attempt(client, "safety-check", answers={**SAFETY_KEY, "after-hours": 0}, revision=2)

    assert stale.status_code == 409
    assert stale.json()["error"] == "revision_changed" and "revision 2" in stale.json()["message"]
    assert future.status_code == 422 and "live revision is 2" in future.json()["message"]
    assert fresh.status_code == 201 and fresh.json()["passed"] is True
    assert scalar(engine, "SELECT count(*) FROM module_attempts") == 1  # the refused attempts left nothing


def test_max_attempts_refuses_beyond_the_limit_and_a_changed_quiz_starts_again(
    api: LiveServer, deployed: Settings
) -> None:
    _quiz(deployed, "lab-safety-101", "safety-check", lambda c: c.update(max_attempts=2))
    with api.client("alice") as client:
        first = attempt(client, "safety-check", answers=SAFETY_WRONG, revision=2).json()
        second = attempt(client, "safety-check", answers=SAFETY_WRONG, revision=2).json()
        third = attempt(client, "safety-check", answers=SAFETY_KEY, revision=2)
        _quiz(deployed, "lab-safety-101", "safety-check", lambda c: c.update(max_attempts=2, pass_percent=60))
        after_change = attempt(client, "safety-check", answers=SAFETY_KEY, revision=3)

    assert (first["attempts_left"], second["attempts_left"]) == (1, 0)
    assert third.status_code == 409
    assert third.json()["error"] == "no_attempts_left" and "all 2 attempt(s)" in third.json()["message"]
    assert "correct_choice" not in third.text
    assert after_change.status_code == 201 and after_change.json()["attempt"] == 3


def test_a_quiz_that_reveals_answers_shows_the_right_choice_after_a_wrong_one(
    api: LiveServer, deployed: Settings
) -> None:
    _quiz(deployed, "lab-safety-101", "safety-check", lambda c: c.update(reveal_answers=True, max_attempts=3))
    with api.client("alice") as client:
        body = attempt(client, "safety-check", answers={"eye-contact": 0, "after-hours": 1}, revision=2).json()

    by_id = {q["question_id"]: q for q in body["questions"]}
    assert by_id["eye-contact"]["revealed_choice"] == 1
    assert "revealed_choice" not in by_id["after-hours"]  # answered right
    assert "revealed_choice" not in by_id["ppe-soldering"]  # not answered


def test_an_interactive_section_is_graded_by_its_hotspots(api: LiveServer) -> None:
    with api.client("alice") as client:
        some = attempt(client, "locate-equipment", hotspots=ALL_EQUIPMENT[:2]).json()
        twice = attempt(client, "locate-equipment", hotspots=[ALL_EQUIPMENT[0]] * 5).json()
        every = attempt(client, "locate-equipment", hotspots=ALL_EQUIPMENT).json()
        unknown = attempt(client, "locate-equipment", hotspots=["a-door"])
        as_quiz = attempt(client, "locate-equipment", answers={"x": 0})
        # equipment-tour (after lab-safety-101) requires three named hotspots of four
        client.put(f"{LAB}/sections/welcome/progress", json={"state": "completed"})
        for section in ("ppe-requirements", "emergency-video"):
            client.put(f"{LAB}/sections/{section}/progress", json={"state": "completed"})
        attempt(client, "safety-check", answers=SAFETY_KEY)
        distractor = attempt(client, "find-the-tools", hotspots=["parts-shelf", "oscilloscope"], module=TOUR).json()

    assert (some["score"], some["passed"]) == (40, False)
    assert twice["score"] == 20  # a hotspot clicked five times counts once
    assert (every["score"], every["passed"], every["progress"]["state"]) == (100, True, "completed")
    assert unknown.status_code == 422 and "a-door" in unknown.json()["message"]
    assert as_quiz.status_code == 422 and "interactive" in as_quiz.json()["message"]
    assert distractor["score"] == 33 and distractor["passed"] is False
    assert {q["hotspot_id"]: q["correct"] for q in distractor["questions"]} == {
        "parts-shelf": False,
        "oscilloscope": True,
    }


def test_a_client_may_not_complete_or_score_a_graded_section_itself(api: LiveServer) -> None:
    with api.client("alice") as client:
        completed = client.put(f"{LAB}/sections/safety-check/progress", json={"state": "completed"})
        scored = client.put(f"{LAB}/sections/locate-equipment/progress", json={"state": "started", "score": 100})
        started = client.put(f"{LAB}/sections/safety-check/progress", json={"state": "started"})
        text = client.put(f"{LAB}/sections/welcome/progress", json={"state": "completed", "score": 100})
        progress = client.get(f"{LAB}/progress").json()

    assert completed.status_code == 422 and scored.status_code == 422
    assert "post an attempt" in completed.json()["message"]
    assert f"{LAB}/sections/safety-check/attempts" in completed.json()["message"]
    assert started.status_code == 200 and started.json()["state"] == "started"
    assert text.status_code == 200 and text.json()["state"] == "completed"
    states = {s["section_id"]: s["state"] for s in progress["sections"]}
    assert states["safety-check"] == "started" and states["locate-equipment"] == "not_started"


def test_attempt_refusals_name_the_problem(api: LiveServer) -> None:
    with api.client("alice") as client:
        text_section = attempt(client, "welcome", answers={"x": 0})
        missing = attempt(client, "no-such-section", answers={"x": 0})
        bad_id = client.post(
            f"{LAB}/sections/safety-check/attempts", json={"client_attempt_id": "1", "revision": 1, "answers": {"a": 0}}
        )
        both = client.post(
            f"{LAB}/sections/safety-check/attempts",
            json={"client_attempt_id": str(uuid.uuid4()), "revision": 1, "answers": {}, "hotspots": []},
        )
        locked = attempt(client, "bench-quiz", answers={"current-limit": 1}, module=TOUR)
    with api.client(None) as anonymous:
        unauthenticated = attempt(anonymous, "safety-check", answers=SAFETY_KEY)

    assert text_section.status_code == 422 and "only quiz and interactive" in text_section.json()["message"]
    assert missing.status_code == 404
    assert bad_id.status_code == 422 and "client_attempt_id" in bad_id.json()["message"]
    assert both.status_code == 422 and "either answers" in both.json()["message"]
    assert locked.status_code == 409 and locked.json()["error"] == "locked"
    assert unauthenticated.status_code == 401
