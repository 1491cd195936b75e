"""Make a section's settings (the JSON/YAML code block) easier to write than the module file they become.

A hotspot position may be a percentage of the picture ("40%"), turned into pixels when its size is known.
A team lead may name a quiz question's correct answer by its text (`answer: The current limit`) or by its number
counting from 1 (`answer: 2`); the module file keeps `correct_choice`, counted from 0, so files written before stay
valid. YAML reads an unquoted Yes, No, On or Off as true/false: that is reported with the fix (quote it).
"""

from __future__ import annotations

import re
from typing import Any

# fields whose value is text: a true/false there is YAML's reading of an unquoted Yes/No/On/Off
_TEXT_FIELDS = frozenset({"instruction", "prompt", "answer", "explanation", "label", "description", "id"})
_TEXT_LISTS = frozenset({"choices"})


def yaml_boolean_problems(content: Any, path: str = "") -> list[tuple[str, str]]:
    """(pointer, message) for each true/false where text belongs: YAML turned an unquoted word into a boolean."""
    found: list[tuple[str, str]] = []
    if isinstance(content, dict):
        for key, value in content.items():
            here = f"{path}/{key}"
            if isinstance(value, bool) and key in _TEXT_FIELDS:
                found.append((here, _boolean_message(value)))
            elif isinstance(value, list) and key in _TEXT_LISTS:
                found += [(f"{here}/{i}", _boolean_message(v)) for i, v in enumerate(value) if isinstance(v, bool)]
            else:
                found += yaml_boolean_problems(value, here)
    elif isinstance(content, list):
        for index, value in enumerate(content):
            found += yaml_boolean_problems(value, f"{path}/{index}")
    return found


def _boolean_message(value: bool) -> str:
    words = "Yes, On or True" if value else "No, Off or False"
    return (
        f"YAML read an unquoted {words} as {str(value).lower()}; put the text in quotes, "
        f'e.g. "{"Yes" if value else "No"}"'
    )


def apply_quiz_answers(content: dict[str, Any]) -> list[tuple[str, str]]:
    """Turn each question's `answer` (its text, or its number from 1) into `correct_choice`; the problems found."""
    problems: list[tuple[str, str]] = []
    questions = content.get("questions")
    if not isinstance(questions, list):
        return problems
    for index, question in enumerate(questions):
        if not isinstance(question, dict) or "answer" not in question:
            continue
        pointer = f"/questions/{index}/answer"
        answer = question.pop("answer")
        raw_choices = question.get("choices")
        choices: list[Any] = raw_choices if isinstance(raw_choices, list) else []
        if "correct_choice" in question:
            problems.append((pointer, "give either answer or correct_choice, not both; keep answer"))
        elif isinstance(answer, bool):
            continue  # reported by yaml_boolean_problems
        elif isinstance(answer, int):
            if 1 <= answer <= len(choices):
                question["correct_choice"] = answer - 1
            else:
                problems.append(
                    (pointer, f"answer {answer} is not a choice: the choices are numbered 1 to {len(choices)}")
                )
        elif isinstance(answer, str):
            wanted = _same(answer)
            matches = [i for i, c in enumerate(choices) if isinstance(c, str) and _same(c) == wanted]
            if len(matches) == 1:
                question["correct_choice"] = matches[0]
            else:
                problems.append(
                    (
                        pointer,
                        f"answer {answer!r} is not one of the choices; copy the correct choice's text exactly, "
                        f"or give its number counting from 1",
                    )
                )
        else:
            problems.append((pointer, "answer must be the correct choice's text, or its number counting from 1"))
    return problems


def _same(text: str) -> str:
    return " ".join(text.split()).casefold()


_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def apply_hotspot_percentages(content: dict[str, Any], size: tuple[int, int] | None) -> list[tuple[str, str]]:
    """Turn hotspot positions given as percentages of the picture ("40%") into its pixels; the problems found."""
    problems: list[tuple[str, str]] = []
    hotspots = content.get("hotspots")
    if not isinstance(hotspots, list):
        return problems
    for index, hotspot in enumerate(hotspots):
        if not isinstance(hotspot, dict):
            continue
        for axis, extent in (("x", 0), ("y", 1)):
            value = hotspot.get(axis)
            match = _PERCENT.match(value) if isinstance(value, str) else None
            if match is None:
                continue
            percent = float(match.group(1))
            pointer = f"/hotspots/{index}/{axis}"
            if size is None:
                problems.append(
                    (
                        pointer,
                        f"{value} needs the picture's size, which is known only for a PNG, JPEG or GIF uploaded "
                        "to Notion; upload the picture, or give the position in pixels",
                    )
                )
            elif percent > 100:
                problems.append((pointer, f"{value} lies outside the picture: use 0% to 100%"))
            else:
                hotspot[axis] = min(round(percent * size[extent] / 100), size[extent] - 1)
    return problems
