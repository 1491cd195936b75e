"""The module file: strict loading, canonical form, content hash, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.module.canonical import content_hash, dump_module, write_module
from pipeline.module.document import MAX_FILE_BYTES, ModuleLoadError, load_module, parse_module
from tests.module_builders import sample_module
from tests.paths import SAMPLE_MODULES


@pytest.mark.parametrize("path", sorted(SAMPLE_MODULES.glob("*.json")), ids=lambda p: p.stem)
def test_sample_files_are_in_canonical_form(path: Path) -> None:
    doc = load_module(path)
    assert dump_module(doc.data) == path.read_text(encoding="utf-8")


def test_canonical_dump_orders_keys_as_the_schema_does_whatever_the_input_order() -> None:
    data = sample_module()
    shuffled = dict(reversed(list(data.items())))
    shuffled["sections"] = [dict(reversed(list(s.items()))) for s in data["sections"]]
    assert dump_module(shuffled) == dump_module(data)
    assert list(json.loads(dump_module(shuffled))) == list(data)


def test_canonical_dump_is_utf8_two_space_indented_with_one_trailing_newline() -> None:
    text = dump_module(sample_module(title="Sicherheit im Labor — Grundlagen"))
    assert "Sicherheit im Labor — Grundlagen" in text  # not \u-escaped
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.splitlines()[1].startswith('  "module_id"')


def test_content_hash_ignores_export_bookkeeping_but_not_content() -> None:
    base = sample_module()
    re_exported = sample_module(
        metadata={
            **base["metadata"],
            "exported_at": "2030-01-01T00:00:00Z",
            "exported_by": "someone-else",
            "revision": 9,
        }
    )
    edited = sample_module(title="Lab Safety 102")
    assert content_hash(re_exported) == content_hash(base)
    assert content_hash(edited) != content_hash(base)


def test_content_hash_does_not_depend_on_key_order() -> None:
    data = sample_module()
    assert content_hash(dict(reversed(list(data.items())))) == content_hash(data)


@pytest.mark.parametrize(
    ("raw", "expected_line", "expected_text"),
    [
        (b'{"module_id": "a",\n "module_id": "b"}', 2, "duplicate key 'module_id'"),
        (b'{"a": 1,\n "b": NaN}', 2, "NaN is not valid JSON"),
        (b'{"a": 1,\n "b": [Infinity]}', 2, "Infinity is not valid JSON"),
        (b'{"a": -Infinity}', 1, "-Infinity is not valid JSON"),
        (b"\xef\xbb\xbf{}", 1, "byte-order mark"),
        (b'{"a":\n\n "\xff"}', 3, "invalid UTF-8"),
        (b"[1, 2]", 1, "top level is a JSON array"),
        (b'"just a string"', 1, "top level is a JSON string"),
        (b'{"a": 1,\n', 2, "not valid JSON"),
        (b'{"a": 1} {"b": 2}', 1, "extra data after the JSON object"),
        (b"   \n", 1, "file is empty"),
        (b"[" * 50_000 + b"]" * 50_000, 1, "nested too deeply"),
        (b'{"a":' * 70 + b"1" + b"}" * 70, 1, "nested deeper than 64 levels"),
    ],
    ids=[
        "duplicate-key",
        "nan",
        "infinity",
        "minus-infinity",
        "bom",
        "bad-utf8",
        "array",
        "string",
        "truncated",
        "two-objects",
        "empty",
        "very-deep",
        "deep-object",
    ],
)
def test_malformed_input_is_refused_with_file_line_and_reason(
    raw: bytes, expected_line: int, expected_text: str
) -> None:
    with pytest.raises(ModuleLoadError) as caught:
        parse_module(raw, Path("data/modules/x.json"))
    problem = caught.value.problem
    assert problem.path == "data/modules/x.json"
    assert problem.line == expected_line
    assert expected_text in problem.message


def test_duplicate_key_in_a_nested_object_names_its_pointer_and_line() -> None:
    raw = b'{\n "sections": [\n  {"a": 1},\n  {"title": "x",\n   "title": "y"}\n ]\n}'
    with pytest.raises(ModuleLoadError) as caught:
        parse_module(raw, Path("m.json"))
    assert caught.value.problem.pointer == "/sections/1/title"
    assert caught.value.problem.line == 5


def test_file_over_five_megabytes_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b'{"a": "' + b"x" * MAX_FILE_BYTES + b'"}')
    with pytest.raises(ModuleLoadError, match="at most 5,242,880 bytes"):
        load_module(big)


def test_write_module_changes_nothing_when_content_is_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "lab-safety-101.json"
    assert write_module(path, sample_module()) is True
    before = path.stat().st_mtime_ns
    assert write_module(path, sample_module()) is False
    assert path.stat().st_mtime_ns == before
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_the_section_types_are_the_schemas_in_its_order() -> None:
    from pipeline.module.schema import SECTION_TYPES, load_schema

    section = load_schema()["$defs"]["section"]
    assert tuple(section["properties"]["section_type"]["enum"]) == SECTION_TYPES
