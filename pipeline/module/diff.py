"""What changed between two versions of a module, section by section — for PR bodies and the reviewer preview."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pipeline.module.schema import BOOKKEEPING_KEY

ChangeKind = Literal["added", "removed", "changed", "moved"]
CHANGE_KINDS: tuple[ChangeKind, ...] = ("added", "changed", "moved", "removed")  # the order reviewers read them in

# Module fields shown as "metadata changes"; sections are compared one by one instead.
_SECTION_KEY = "sections"


@dataclass(frozen=True)
class FieldChange:
    """One top-level field whose value differs (`old` is None for a new module)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class SectionChange:
    """One section added, removed, changed or moved, identified by its stable `section_id`."""

    section_id: str
    title: str
    kind: ChangeKind
    old_number: int | None
    new_number: int | None
    changed_fields: tuple[str, ...] = ()
    text_diff: str = ""


@dataclass(frozen=True)
class ModuleDiff:
    """The reviewer's view of a change: metadata fields and sections, by `section_id`."""

    module_id: str
    is_new: bool
    field_changes: tuple[FieldChange, ...]
    section_changes: tuple[SectionChange, ...]

    @property
    def is_empty(self) -> bool:
        return not self.field_changes and not self.section_changes

    def sections(self, kind: ChangeKind) -> tuple[SectionChange, ...]:
        """The section changes of one kind ("added", "removed", "changed", "moved")."""
        return tuple(change for change in self.section_changes if change.kind == kind)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value if value.endswith("\n") else value + "\n"
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def text_diff(old: Any, new: Any, label: str) -> str:
    """A unified diff of two values (Markdown as lines, anything else as indented JSON)."""
    lines = difflib.unified_diff(
        _as_text(old).splitlines(keepends=True),
        _as_text(new).splitlines(keepends=True),
        fromfile=f"a/{label}",
        tofile=f"b/{label}",
        n=2,
    )
    return "".join(lines)


def _compare_section(old: Mapping[str, Any], new: Mapping[str, Any]) -> SectionChange | None:
    changed = tuple(
        key for key in sorted(set(old) | set(new)) if key != "section_number" and old.get(key) != new.get(key)
    )
    section_id = str(new.get("section_id"))
    old_number, new_number = old.get("section_number"), new.get("section_number")
    if changed:
        diffs = [text_diff(old.get(key), new.get(key), f"{section_id}/{key}") for key in changed]
        return SectionChange(
            section_id, str(new.get("title", "")), "changed", old_number, new_number, changed, "".join(diffs)
        )
    if old_number != new_number:
        return SectionChange(section_id, str(new.get("title", "")), "moved", old_number, new_number)
    return None


def diff_modules(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> ModuleDiff:
    """Compare two module documents (old None = a new module); `metadata` bookkeeping is ignored."""
    module_id = str(new.get("module_id", ""))
    before: Mapping[str, Any] = old or {}
    fields = [
        FieldChange(key, before.get(key), new.get(key))
        for key in dict.fromkeys([*new, *before])
        if key not in (_SECTION_KEY, BOOKKEEPING_KEY) and before.get(key) != new.get(key)
    ]
    old_sections = {s.get("section_id"): s for s in before.get(_SECTION_KEY) or [] if isinstance(s, Mapping)}
    new_sections = {s.get("section_id"): s for s in new.get(_SECTION_KEY) or [] if isinstance(s, Mapping)}
    changes: list[SectionChange] = []
    for section_id, section in new_sections.items():
        previous = old_sections.get(section_id)
        if previous is None:
            changes.append(
                SectionChange(
                    str(section_id), str(section.get("title", "")), "added", None, section.get("section_number")
                )
            )
        elif (change := _compare_section(previous, section)) is not None:
            changes.append(change)
    for section_id, section in old_sections.items():
        if section_id not in new_sections:
            changes.append(
                SectionChange(
                    str(section_id), str(section.get("title", "")), "removed", section.get("section_number"), None
                )
            )
    return ModuleDiff(module_id, old is None, tuple(fields), tuple(changes))
