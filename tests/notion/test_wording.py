"""Validator problems (file, line, JSON pointer) reworded for the Notion page they came from."""

from __future__ import annotations

import pytest

from pipeline.module.problems import Problem
from pipeline.notion.wording import covered, issue_text, problem_issue

MODULE = {
    "title": "Lab Safety",
    "prerequisites": ["ghost-module"],
    "sections": [
        {"title": "Welcome", "content": "Hi"},
        {"title": "Check yourself", "content": {"questions": [{"choices": ["A", "B", "C"]}]}},
    ],
}


def worded(pointer: str, message: str) -> str:
    problem = Problem("data/modules/lab-safety.json", 12, pointer, message)
    return issue_text(problem_issue(problem, MODULE, "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"))


@pytest.mark.parametrize(
    ("pointer", "message", "expected"),
    [
        ("/title", "is 210 characters long; at most 200 are allowed", "Module Name is 210 characters long"),
        (
            "/sections/1/content/questions/0/correct_choice",
            "correct_choice is 3 but there are only 3 choices (counting from 0)",
            "section #2 'Check yourself', question 1, correct_choice: the answer is choice 4 but there are only 3",
        ),
        (
            "/prerequisites/0",
            "prerequisite 'ghost-module' is not a module in data/modules; fix the id or add that module first",
            "Prerequisites, prerequisite 1 'ghost-module': the module 'ghost-module' is not in the module library yet",
        ),
        (
            "/sections/0/media_url",
            "'/assets/x/a.png' does not exist: add data/assets/x/a.png or fix the path",
            "section #1 'Welcome', its image or video: the uploaded file could not be kept with the module",
        ),
        ("/metadata/revision", "must be a whole number", "must be a whole number (the exporter wrote this, not you"),
    ],
)
def test_a_validator_problem_reads_in_the_page_s_terms(pointer: str, message: str, expected: str) -> None:
    text = worded(pointer, message)
    assert text.startswith(expected) or expected in text, text
    assert "data/" not in text and "/sections" not in text and "0f1e2d3c" not in text


def test_what_a_conversion_problem_names_is_not_repeated_by_the_validator() -> None:
    assert covered("/sections/1/content/questions/0", ["/sections/1/content"])
    assert covered("/estimated_minutes", ["/estimated_minutes"])
    assert not covered("/sections/10/title", ["/sections/1"]), "section 2 does not cover section 11"
    assert not covered("/tags/1", ["/title"])
