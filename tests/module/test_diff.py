"""A reviewer sees what changed in a module by section_id, not as a raw JSON diff."""

from __future__ import annotations

import copy
import json

from pipeline.module.diff import diff_modules
from tests.paths import SAMPLE_MODULES


def _sample() -> dict:
    return json.loads((SAMPLE_MODULES / "lab-safety-101.json").read_text())


def test_new_module_lists_every_section_as_added():
    new = _sample()
    diff = diff_modules(None, new)
    assert diff.is_new
    assert [c.section_id for c in diff.sections("added")] == [s["section_id"] for s in new["sections"]]


def test_identical_modules_differ_in_nothing_even_when_bookkeeping_moves():
    old, new = _sample(), _sample()
    new["metadata"]["revision"] += 1
    new["metadata"]["exported_at"] = "2030-01-01T00:00:00Z"
    assert diff_modules(old, new).is_empty


def test_retitled_section_is_changed_with_a_text_diff_and_keeps_its_id():
    old = _sample()
    new = copy.deepcopy(old)
    new["sections"][0]["content"] = old["sections"][0]["content"] + "\nOne more line.\n"
    new["estimated_minutes"] = old["estimated_minutes"] + 5
    diff = diff_modules(old, new)
    [changed] = diff.sections("changed")
    assert changed.section_id == old["sections"][0]["section_id"]
    assert changed.changed_fields == ("content",)
    assert "+One more line." in changed.text_diff
    assert [(f.field, f.old, f.new) for f in diff.field_changes] == [
        ("estimated_minutes", old["estimated_minutes"], new["estimated_minutes"])
    ]


def test_removed_and_reordered_sections_are_named():
    old = _sample()
    new = copy.deepcopy(old)
    removed = new["sections"].pop(0)
    for number, section in enumerate(new["sections"], start=1):
        section["section_number"] = number
    diff = diff_modules(old, new)
    assert [c.section_id for c in diff.sections("removed")] == [removed["section_id"]]
    assert {c.section_id for c in diff.sections("moved")} == {s["section_id"] for s in new["sections"]}
    assert not diff.sections("changed")
