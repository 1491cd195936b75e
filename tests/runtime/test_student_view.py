"""No response to a student token holds an answer key the student has not earned: every route is walked."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

from pipeline.runtime.openapi import openapi_document
from pipeline.runtime.student_view import student_section
from tests.paths import SAMPLE_MODULES
from tests.runtime.graded import attempt
from tests.runtime.live import LiveServer


def _samples() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(SAMPLE_MODULES.glob("*.json"))]


def _secrets() -> list[str]:
    """What a student must never read before answering: the key's name, every explanation, the required hotspots."""
    found = ["correct_choice", "required_hotspots"]
    for module in _samples():
        for section in module["sections"]:
            if section["section_type"] == "quiz":
                found += [q["explanation"] for q in section["content"]["questions"] if q.get("explanation")]
    return found


def _leaks(body: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in body]


# Path parameters as a student fills them: real ids (the happy path) and ids that do not exist (the errors).
REAL = {"module_id": "lab-safety-101", "section_id": "safety-check", "student_id": "alice", "key": "sha256/00/00/x.png"}
MISSING = {"module_id": "no-such-module", "section_id": "no-such-section", "student_id": "nobody", "key": "none"}
BODIES: dict[str, Any] = {
    "put": {"state": "started"},
    "post": {"client_attempt_id": str(uuid.uuid4()), "revision": 1, "answers": {"after-hours": 0}},
}


def _routes(api: LiveServer) -> list[Any]:
    return [rule for rule in api.app.url_map.iter_rules() if rule.endpoint != "static"]  # Flask's, holds nothing


def _requests(api: LiveServer) -> Iterator[tuple[str, str, str, Any]]:
    """Every route and method of the app, with real ids, missing ids, a bad body and a bad query."""
    for rule in _routes(api):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            key = (rule.rule, method)
            for values in (REAL, MISSING):
                path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: v.get(m.group(1), "x"), rule.rule)  # type: ignore[misc]
                body = BODIES.get(method.lower())
                if rule.rule.endswith("/events"):
                    body = {"events": [{"id": str(uuid.uuid4()), "verb": "answered", "object": {"module_id": "x"}}]}
                yield str(key), method, path, body
                yield str(key), method, path + "?fields=outline", body
                yield str(key), method, path + "?include=answers", body
                if method in ("PUT", "POST"):
                    yield str(key), method, path, {"state": "completed", "answers": "all"}


def test_every_route_answers_a_student_without_the_key(api: LiveServer) -> None:
    secrets = _secrets()
    walked: set[str] = set()
    leaks: dict[str, list[str]] = {}
    with api.client("alice") as client:
        for key, method, path, body in _requests(api):
            answer = client.request(method, path, json=body) if body is not None else client.request(method, path)
            walked.add(key)
            found = _leaks(answer.text, secrets)
            if found:
                leaks[f"{method} {path} -> {answer.status_code}"] = found
        # the body a student sends wrong, unknown and missing question ids to
        for answers in ({"eye-contact": 9}, {"not-a-question": 0}, {}):
            refused = attempt(client, "safety-check", answers=answers)
            assert refused.status_code == 422
            assert not _leaks(refused.text, secrets), refused.text
        # and the routes an LMS calls without any path parameter
        for path in ("/api/openapi.json", "/healthz", "/readyz", "/api/v1/modules", "/api/v1/me/assignments"):
            assert not _leaks(client.get(path).text, secrets), path

    every_route = {
        str((rule.rule, method)) for rule in _routes(api) for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert walked == every_route
    assert leaks == {}


def test_the_full_module_and_outline_show_the_questions_but_not_their_answers(api: LiveServer) -> None:
    with api.client("alice") as client:
        full = client.get("/api/v1/modules/lab-safety-101").json()
        tour = client.get("/api/v1/modules/equipment-tour").json()

    quiz = next(s for s in full["sections"] if s["section_id"] == "safety-check")["content"]
    assert [q["question_id"] for q in quiz["questions"]] == ["eye-contact", "after-hours", "ppe-soldering"]
    assert quiz["questions"][0]["choices"][1] == "Go to the eye wash station and rinse for 15 minutes"
    assert all(set(q) == {"question_id", "prompt", "choices"} for q in quiz["questions"])
    assert quiz["pass_percent"] == 66
    assert "content_hash" not in full  # a hash of the whole file would let a student test guessed keys
    hunt = next(s for s in tour["sections"] if s["section_id"] == "find-the-tools")["content"]
    assert hunt["completion_criteria"] == {"required_count": 3}
    assert len(hunt["hotspots"]) == 4  # every hotspot is shown; only which ones are required is not


def test_staff_may_ask_for_the_answers_and_get_another_etag(api: LiveServer) -> None:
    with api.client("teacher", staff=True) as staff:
        plain = staff.get("/api/v1/modules/lab-safety-101")
        keyed = staff.get("/api/v1/modules/lab-safety-101", params={"include": "answers"})
        revalidated = staff.get(
            "/api/v1/modules/lab-safety-101",
            params={"include": "answers"},
            headers={"If-None-Match": keyed.headers["ETag"]},
        )
        student_etag_on_keyed = staff.get(
            "/api/v1/modules/lab-safety-101",
            params={"include": "answers"},
            headers={"If-None-Match": plain.headers["ETag"]},
        )
    with api.client("alice") as student:
        refused = student.get("/api/v1/modules/lab-safety-101", params={"include": "answers"})

    assert "correct_choice" not in plain.text
    quiz = next(s for s in keyed.json()["sections"] if s["section_id"] == "safety-check")["content"]
    assert [q["correct_choice"] for q in quiz["questions"]] == [1, 1, 0]
    assert keyed.json()["content_hash"].startswith("sha256:")
    assert keyed.headers["ETag"] != plain.headers["ETag"]
    assert revalidated.status_code == 304
    assert student_etag_on_keyed.status_code == 200  # a cached student view never stands in for the keyed one
    assert refused.status_code == 403 and "staff" in refused.json()["message"]


def test_the_openapi_examples_hold_no_key() -> None:
    document = json.dumps(openapi_document())
    assert not _leaks(document, _secrets())


def test_the_student_view_removes_each_secret_field_and_keeps_the_rest() -> None:
    quiz = {
        "section_type": "quiz",
        "content": {
            "pass_percent": 50,
            "max_attempts": 2,
            "reveal_answers": False,
            "questions": [
                {"question_id": "q", "prompt": "p", "choices": ["a", "b"], "correct_choice": 1, "explanation": "e"}
            ],
        },
    }
    hunt = {
        "section_type": "interactive",
        "content": {
            "instruction": "Click two",
            "hotspots": [{"id": "a", "x": 1, "y": 2, "label": "A"}],
            "completion_criteria": {"hotspots_clicked": 1, "required_hotspots": ["a"]},
        },
    }

    assert student_section(quiz)["content"] == {
        "pass_percent": 50,
        "max_attempts": 2,
        "reveal_answers": False,
        "questions": [{"question_id": "q", "prompt": "p", "choices": ["a", "b"]}],
    }
    assert student_section(hunt)["content"]["completion_criteria"] == {"hotspots_clicked": 1, "required_count": 1}
    assert quiz["content"]["questions"][0]["correct_choice"] == 1  # the deployed content itself is untouched
    text = {"section_type": "text", "content": "Hello"}
    assert student_section(text) == text


def test_an_error_about_a_quiz_names_no_answer(api: LiveServer) -> None:
    with api.client("alice") as client:
        answer = client.put(
            "/api/v1/me/modules/lab-safety-101/sections/safety-check/progress",
            json={"state": "completed", "score": 100},
        )
    assert answer.status_code == 422
    assert not _leaks(answer.text, _secrets())
