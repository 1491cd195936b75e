"""Problems and warnings in a Notion reader's words: the column, the section heading, numbers from 1, first words.

A team lead sees properties (columns), headings and blocks, never module files: a comment on their page must not
name a file path, a JSON pointer, a block id or the page's id. The exporter's own issues (`ConversionIssue`) and
the validator's (`Problem`, located by JSON pointer) both end up here, as one line each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.module.places import describe_place, parse_pointer
from pipeline.module.problems import Problem
from pipeline.notion.issues import ConversionIssue
from pipeline.notion.properties import EXPECTED_PROPERTIES

# module field -> what a team lead calls it (the column that fills it, or the part of the page)
NOTION_NAMES: dict[str, str] = {
    **{p.field: name for name, p in EXPECTED_PROPERTIES.items() if p.field.isidentifier()},
    "learning_objectives": "Learning Objectives",
    "sections": "the page's sections",
    "experiments": "the Experiment column and the page's 'Variant:' toggles",
}
_VERB_START = re.compile(r"^(is|are|must|has|have|needs|does|asks|lists)\b")
_PATHS = re.compile(r"\b(?:data|examples)/[\w./<>-]*")


def issue_text(issue: ConversionIssue) -> str:
    """One line for the page: `section #2 'Find the Tools', the block starting 'Click the…': <message>`."""
    parts = []
    if issue.section_number is not None:
        title = f" {issue.where!r}" if issue.where and issue.where != f"section {issue.section_number}" else ""
        parts.append(f"section #{issue.section_number}{title}")
    elif issue.where:
        parts.append(issue.where)
    if issue.detail:
        parts.append(issue.detail)
    if issue.block_words:
        parts.append(f"the block starting {issue.block_words!r}")
    return _joined(", ".join(parts), issue.message)


def _joined(place: str, message: str) -> str:
    if not place:
        return message[:1].upper() + message[1:]
    return f"{place} {message}" if _VERB_START.match(message) else f"{place}: {message}"


def covered(pointer: str, covers: Sequence[str]) -> bool:
    """Whether `pointer` lies in a part of the module an issue already names (then the validator's is a repeat)."""
    tokens = parse_pointer(pointer)
    for cover in covers:
        prefix = parse_pointer(cover)
        if prefix and tokens[: len(prefix)] == prefix:
            return True
    return False


def problem_issue(problem: Problem, data: Mapping[str, Any] | None, page_id: str) -> ConversionIssue:
    """A validator problem (file, line, pointer) as a ConversionIssue worded for the page it came from."""
    place = describe_place(data, problem.pointer)
    where = place.section_title or "" if place.section_number is not None else NOTION_NAMES.get(place.field, "")
    return ConversionIssue(
        page_id,
        None,
        where,
        _notion_message(problem, place.field),
        problem.severity,
        section_number=place.section_number,
        pointer=problem.pointer,
        detail=place.detail,
    )


def _notion_message(problem: Problem, field: str) -> str:
    """The validator's message, with what only makes sense in the repository said the page's way."""
    message = problem.message
    tokens = parse_pointer(problem.pointer)
    if field == "metadata" or (field and field not in NOTION_NAMES):
        return f"{message} (the exporter wrote this, not you: tell the pipeline's operator)"
    if field == "prerequisites" and "is not a module" in message:
        missing = re.search(r"'([^']*)'", message)
        name = f"the module {missing.group(1)!r}" if missing else "a prerequisite"
        return (
            f"{name} is not in the module library yet: set its page to Ready so it is exported first, "
            "or remove the relation"
        )
    if tokens and tokens[-1] == "correct_choice" and message.startswith("correct_choice is"):
        numbers = re.findall(r"\d+", message)
        if len(numbers) >= 2:
            return (
                f"the answer is choice {int(numbers[0]) + 1} but there are only {numbers[1]} choices; give the "
                "answer as the choice's text, or its number counting from 1"
            )
    if "does not exist: add" in message or "points outside" in message:
        return "the uploaded file could not be kept with the module; upload it to the page again"
    return _PATHS.sub("the module library", message)
