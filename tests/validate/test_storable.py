"""What validate accepts, the database can store: whole numbers, bounded numbers, text PostgreSQL takes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.module.document import MAX_INTEGER, ModuleDocument, ModuleLoadError, parse_module
from pipeline.module.problems import Problem
from pipeline.validate.rules import validate_documents
from tests.module_builders import sample_module
from tests.paths import SAMPLE_ASSETS, SAMPLE_MODULES

ASSETS = SAMPLE_ASSETS
FILE = Path("data/modules/lab-safety-101.json")


def problems_of(text: str) -> list[Problem]:
    try:
        doc = parse_module(text, FILE)
    except ModuleLoadError as exc:
        return [exc.problem]
    return validate_documents([doc], SAMPLE_MODULES, ASSETS)


def integer_pointers(value: Any, pointer: str = "") -> list[str]:
    """Every integer in the sample module (each of the schema's integer fields that the sample fills)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [pointer]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in integer_pointers(v, f"{pointer}/{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in integer_pointers(v, f"{pointer}/{i}")]
    return []


def set_at(data: Any, pointer: str, value: Any) -> None:
    *parents, last = pointer.lstrip("/").split("/")
    for part in parents:
        data = data[int(part)] if isinstance(data, list) else data[part]
    if isinstance(data, list):
        data[int(last)] = value
    else:
        data[last] = value


def dumped_with(pointer: str, literal: str) -> str:
    """The sample module with the value at `pointer` written as the raw JSON `literal`."""
    data = sample_module()
    set_at(data, pointer, "@@HERE@@")
    return json.dumps(data, indent=2).replace('"@@HERE@@"', literal)


def line_of_marker(pointer: str) -> int:
    return dumped_with(pointer, "0").count("\n", 0, dumped_with(pointer, "@@").index("@@")) + 1


SAMPLE_INTEGERS = integer_pointers(sample_module())


def test_the_sample_fills_every_kind_of_integer_field() -> None:
    kinds = {p.split("/")[-1] for p in SAMPLE_INTEGERS}
    assert {"estimated_minutes", "section_number", "duration_seconds", "x", "y", "revision"} <= kinds
    assert {"correct_choice", "hotspots_clicked"} <= kinds


@pytest.mark.parametrize("pointer", SAMPLE_INTEGERS)
@pytest.mark.parametrize("suffix", [".0", "e0", ".000"])
def test_a_whole_number_written_with_a_fraction_is_refused_with_file_line_and_pointer(
    pointer: str, suffix: str
) -> None:
    data = sample_module()
    value = data
    for part in pointer.lstrip("/").split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    problems = problems_of(dumped_with(pointer, f"{value}{suffix}"))

    assert [(p.path, p.line, p.pointer) for p in problems] == [(str(FILE), line_of_marker(pointer), pointer)]
    assert f"write {value}" in problems[0].message


@pytest.mark.parametrize(
    "literal", ["9" * 5000, "-" + "9" * 40, str(MAX_INTEGER + 1), "1e999", "-1e400", "1e300", "12345678901234567890.5"]
)
@pytest.mark.parametrize("pointer", ["/estimated_minutes", "/sections/0/section_number", "/metadata/revision"])
def test_numbers_out_of_range_are_a_clear_problem_not_a_traceback(pointer: str, literal: str) -> None:
    problems = problems_of(dumped_with(pointer, literal))

    assert [(p.line, p.pointer) for p in problems] == [(line_of_marker(pointer), pointer)]
    assert "out of range" in problems[0].message and len(str(problems[0])) < 400


@pytest.mark.parametrize(
    ("pointer", "literal"), [("/metadata/revision", "2147483648"), ("/sections/0/section_number", "2147483648")]
)
def test_integers_stay_inside_what_the_database_columns_hold(pointer: str, literal: str) -> None:
    problems = problems_of(dumped_with(pointer, literal))
    assert problems and all(p.pointer == pointer for p in problems)


def text_pointers(value: Any, pointer: str = "") -> list[str]:
    if isinstance(value, str):
        return [pointer]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in text_pointers(v, f"{pointer}/{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in text_pointers(v, f"{pointer}/{i}")]
    return []


# Plain text, Markdown content, choices, labels, ids: every string the sample has.
SAMPLE_TEXTS = text_pointers(sample_module())


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udfff", "\\ude00\\ud83d", "\\uD800x"])
@pytest.mark.parametrize("pointer", [*SAMPLE_TEXTS[::3], "/sections/0/content"])
def test_text_postgresql_cannot_store_is_refused_wherever_it_is(pointer: str, escape: str) -> None:
    data = sample_module()
    value = data
    for part in pointer.lstrip("/").split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    literal = json.dumps(value)[:-1] + escape + '"'

    problems = problems_of(dumped_with(pointer, literal))

    assert [(p.line, p.pointer) for p in problems] == [(line_of_marker(pointer), pointer)]
    assert "U+" in problems[0].message and "remove it" in problems[0].message


def test_a_complete_surrogate_pair_is_a_character_and_is_accepted() -> None:
    literal = json.dumps("Lab Safety \U0001f9ea", ensure_ascii=True)
    assert "\\ud83e" in literal
    assert problems_of(dumped_with("/title", literal)) == []


def test_a_key_holding_nul_is_refused_with_its_pointer() -> None:
    text = json.dumps(sample_module(), indent=2).replace('"cohort"', '"coh\\u0000ort"', 1)
    problems = problems_of(text)
    assert problems and problems[0].pointer == "/coh\x00ort" and "U+0000" in problems[0].message


@pytest.mark.parametrize("bad", ["a\x00b", "a\ud800b"])
def test_documents_built_in_memory_get_the_same_checks_as_files(bad: str) -> None:
    data = sample_module()
    data["sections"][0]["content"] = bad
    problems = validate_documents([ModuleDocument(FILE, "", data)], SAMPLE_MODULES, ASSETS)
    assert [p.pointer for p in problems] == ["/sections/0/content"]


def test_documents_built_in_memory_with_a_huge_number_are_refused() -> None:
    data = sample_module(estimated_minutes=MAX_INTEGER * 10)
    problems = validate_documents([ModuleDocument(FILE, "", data)], SAMPLE_MODULES, ASSETS)
    assert [p.pointer for p in problems] == ["/estimated_minutes"]


@pytest.mark.parametrize("literal", ["9" * 5000, "1e999", '"a\\u0000"', '"\\ud800"'])
def test_preview_lists_a_file_it_cannot_store_as_a_problem_not_a_traceback(
    module_tree: Path, tmp_path: Path, literal: str
) -> None:
    from pipeline.preview.build import build_preview
    from pipeline.settings import Settings

    pointer = "/title" if literal.startswith('"') else "/estimated_minutes"
    path = module_tree / "lab-safety-101.json"
    path.write_text(dumped_with(pointer, literal))

    result = build_preview([path], tmp_path / "out", Settings(modules_dir=module_tree))

    (entry,) = [e for e in result.entries if e.error]
    assert pointer in entry.error and "lab-safety-101.json" in entry.error
    assert (tmp_path / "out" / "index.html").is_file()
