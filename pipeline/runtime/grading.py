"""Grading an attempt, pure: the body a student posts, checked; and its grade against a section's content.

The rules (docs/runtime-api.md "Grading"):
- quiz: each question answered with its correct choice counts 1; an unanswered question counts 0. The score is
  `100 × correct ÷ questions`, rounded down; the attempt passes when `correct ÷ questions ≥ pass_percent ÷ 100`
  (default 70), compared exactly in whole numbers, so 2 of 3 passes at 66 and fails at 67.
- interactive: clicked hotspots are counted once each. Each criterion the section has is a share: the required
  hotspots clicked of `required_hotspots`, and the hotspots clicked of `hotspots_clicked` (at most 1). The score is
  the smallest share × 100, rounded down; the attempt passes when every criterion is met (score 100).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from pipeline.runtime.errors import unprocessable

DEFAULT_PASS_PERCENT = 70
MAX_DURATION_MS = 24 * 3600 * 1000
_QUIZ_KEYS = frozenset({"client_attempt_id", "revision", "answers", "duration_ms"})
_INTERACTIVE_KEYS = frozenset({"client_attempt_id", "revision", "hotspots", "duration_ms"})


@dataclass(frozen=True)
class AttemptRequest:
    """A checked attempt body: `answers` for a quiz or `hotspots` for an interactive section (the other None)."""

    client_attempt_id: str
    revision: int
    answers: dict[str, int] | None
    hotspots: tuple[str, ...] | None
    duration_ms: int | None

    def submitted(self) -> dict[str, Any]:
        """What the student sent, as stored in `module_attempts.answers`."""
        if self.answers is not None:
            return {"answers": self.answers}
        return {"hotspots": list(self.hotspots or ())}


@dataclass(frozen=True)
class Grade:
    """The server's grade: `questions` as stored, `feedback` as answered to the student."""

    score: int
    passed: bool
    questions: list[dict[str, Any]]
    feedback: list[dict[str, Any]]


def parse_attempt(body: Any) -> AttemptRequest:
    """The POST body, or a 422 that names the field and shows the shape."""
    shape = (
        '{"client_attempt_id": UUID, "revision": n, "answers": {"<question_id>": <choice index>}} for a quiz, '
        '{"client_attempt_id": UUID, "revision": n, "hotspots": ["<hotspot id>", …]} for an interactive section'
    )
    if not isinstance(body, dict):
        raise unprocessable(f"send a JSON object: {shape}")
    if ("answers" in body) == ("hotspots" in body):
        raise unprocessable(f"send either answers (a quiz) or hotspots (an interactive section): {shape}")
    unknown = sorted(set(body) - (_QUIZ_KEYS if "answers" in body else _INTERACTIVE_KEYS))
    if unknown:
        raise unprocessable(f"unknown field(s) {', '.join(unknown)}: {shape}")
    raw_id = body.get("client_attempt_id")
    try:
        attempt_id = str(uuid.UUID(raw_id)) if isinstance(raw_id, str) else None
    except ValueError:
        attempt_id = None
    if attempt_id is None:
        raise unprocessable("client_attempt_id must be a UUID made by the client; reuse it only to retry the same post")
    revision = body.get("revision")
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
        raise unprocessable("revision must be the module revision you were served (a whole number from 1)")
    duration = body.get("duration_ms")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int) or not 0 <= duration <= MAX_DURATION_MS
    ):
        raise unprocessable(f"duration_ms must be a whole number of milliseconds from 0 to {MAX_DURATION_MS}")
    if "answers" in body:
        return AttemptRequest(attempt_id, revision, _answers(body["answers"]), None, duration)
    return AttemptRequest(attempt_id, revision, None, _hotspots(body["hotspots"]), duration)


def _answers(value: Any) -> dict[str, int]:
    if not isinstance(value, dict) or not value:
        raise unprocessable('answers must be an object of at least one {"<question_id>": <choice index from 0>}')
    for question_id, choice in value.items():
        if isinstance(choice, bool) or not isinstance(choice, int) or choice < 0:
            raise unprocessable(f"answers.{question_id[:64]}: the choice must be its index, a whole number from 0")
    return dict(value)


def _hotspots(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(h, str) for h in value):
        raise unprocessable('hotspots must be a list of at least one hotspot id, such as ["eye-wash"]')
    return tuple(dict.fromkeys(value))  # a hotspot clicked twice counts once


def grade(section_type: str, content: dict[str, Any], attempt: AttemptRequest) -> Grade:
    """The grade of `attempt` against a section's content (with its key); a 422 when it does not fit the section."""
    if section_type == "quiz":
        if attempt.answers is None:
            raise unprocessable('this section is a quiz: send {"answers": {"<question_id>": <choice index>}}')
        return _grade_quiz(content, attempt.answers)
    if attempt.hotspots is None:
        raise unprocessable('this section is interactive: send {"hotspots": ["<hotspot id>", …]}')
    return _grade_interactive(content, attempt.hotspots)


def _grade_quiz(content: dict[str, Any], answers: dict[str, int]) -> Grade:
    questions = content["questions"]
    by_id = {q["question_id"]: q for q in questions}
    unknown = [q for q in answers if q not in by_id]
    if unknown:
        raise unprocessable(
            f"question(s) {', '.join(repr(q[:64]) for q in unknown)} are not in this quiz; "
            f"its questions are {', '.join(by_id)}"
        )
    for question_id, index in answers.items():
        count = len(by_id[question_id]["choices"])
        if index >= count:
            raise unprocessable(
                f"answers.{question_id}: choice {index} does not exist; the question has {count} (from 0)"
            )
    reveal = bool(content.get("reveal_answers", False))
    stored: list[dict[str, Any]] = []
    feedback: list[dict[str, Any]] = []
    for question in questions:
        choice = answers.get(question["question_id"])
        correct = choice == question["correct_choice"]
        stored.append({"question_id": question["question_id"], "choice": choice, "correct": correct})
        shown: dict[str, Any] = {
            "question_id": question["question_id"],
            "correct": correct,
            "answered": choice is not None,
        }
        if choice is not None:
            shown["choice"] = choice
            if question.get("explanation"):
                shown["explanation"] = question["explanation"]
            if not correct and reveal:
                shown["revealed_choice"] = question["correct_choice"]
        feedback.append(shown)
    right = sum(q["correct"] for q in stored)
    pass_percent = content.get("pass_percent", DEFAULT_PASS_PERCENT)
    return Grade(right * 100 // len(questions), right * 100 >= pass_percent * len(questions), stored, feedback)


def _grade_interactive(content: dict[str, Any], clicked: tuple[str, ...]) -> Grade:
    ids = [h["id"] for h in content["hotspots"]]
    unknown = [h for h in clicked if h not in ids]
    if unknown:
        raise unprocessable(
            f"hotspot(s) {', '.join(repr(h[:64]) for h in unknown)} are not in this section; its hotspots are "
            f"{', '.join(ids)}"
        )
    criteria = content["completion_criteria"]
    required = criteria.get("required_hotspots")
    shares: list[Fraction] = []
    if required:
        shares.append(Fraction(len(set(clicked) & set(required)), len(required)))
    if criteria.get("hotspots_clicked"):
        shares.append(min(Fraction(len(clicked), criteria["hotspots_clicked"]), Fraction(1)))
    share = min(shares, default=Fraction(1))
    stored = [{"hotspot_id": h, "correct": not required or h in required} for h in clicked]
    return Grade(int(share * 100), share == 1, stored, [dict(q) for q in stored])
