"""What a student may see of a section: the module's content with the answer key taken out, field by field.

Every route that answers section content passes it through `student_section` (the full module, its outline, the
attempt answers), so the rule lives here only. Per field:

- quiz `questions[].correct_choice`: removed (the key). It reaches a student only through an attempt of a quiz
  whose `reveal_answers` is true, as `revealed_choice`, after that question was answered wrong.
- quiz `questions[].explanation`: removed; an attempt answers it for each question the student answered.
- quiz `instruction`, `pass_percent`, `max_attempts`, `reveal_answers`, `questions[].question_id`, `prompt`,
  `choices`: kept (the student needs them to take the quiz, and to know its rules).
- interactive `completion_criteria.required_hotspots`: replaced by `required_count`, how many hotspots are
  required, not which (unless the author's `instruction` names them, which is kept as written).
- interactive `completion_criteria.hotspots_clicked`, `instruction`, `hotspots[]` (id, x, y, label, description):
  kept; a hotspot's description is what the student reads when clicking it, and says nothing of the target.

The module's `content_hash` is not in a student's view either: a quiz's key has few possible values, so the hash
of a known document would let anyone try them all (the ETag is a hash of the student view instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GRADED_TYPES = ("quiz", "interactive")  # the section types whose completion and score come from attempts only
QUESTION_SECRETS = ("correct_choice", "explanation")


def student_section(section: Mapping[str, Any]) -> dict[str, Any]:
    """The section without what would give its answers away (a new dict; the input is not changed)."""
    view = dict(section)
    content = section.get("content")
    if section.get("section_type") == "quiz" and isinstance(content, Mapping):
        view["content"] = _student_quiz(content)
    elif section.get("section_type") == "interactive" and isinstance(content, Mapping):
        view["content"] = _student_interactive(content)
    return view


def _student_quiz(content: Mapping[str, Any]) -> dict[str, Any]:
    quiz = dict(content)
    questions = content.get("questions")
    if isinstance(questions, list):
        quiz["questions"] = [
            {k: v for k, v in q.items() if k not in QUESTION_SECRETS} if isinstance(q, Mapping) else q
            for q in questions
        ]
    return quiz


def _student_interactive(content: Mapping[str, Any]) -> dict[str, Any]:
    interactive = dict(content)
    criteria = content.get("completion_criteria")
    if isinstance(criteria, Mapping):
        shown = {k: v for k, v in criteria.items() if k != "required_hotspots"}
        required = criteria.get("required_hotspots")
        if isinstance(required, list):
            shown["required_count"] = len(required)
        interactive["completion_criteria"] = shown
    return interactive
