"""Where a JSON pointer lands in a module, in words: "section #6 'Check yourself', question 1, choice 2".

Reviewers and team leads count sections, questions, choices and hotspots from 1 and know sections by their
title, not by `/sections/5/content/questions/0`. `describe_place` turns a pointer into those words; the caller
decides how top-level fields are named (a reviewer sees `title`, a Notion reader the column "Module Name").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# list fields and what one item of each is called
_ITEMS = {
    "sections": "section",
    "questions": "question",
    "choices": "choice",
    "hotspots": "hotspot",
    "learning_objectives": "objective",
    "tags": "tag",
    "prerequisites": "prerequisite",
    "required_hotspots": "required hotspot",
    "experiments": "experiment",
    "arms": "arm",
}
# section fields a team lead writes as a line or block on the page, named the way the page shows them
_SECTION_FIELDS = {
    "title": "its heading",
    "section_type": "its 'Type:' line",
    "section_id": "its 'ID:' line",
    "duration_seconds": "its 'Duration:' line",
    "media_url": "its image or video",
    "section_number": "its position",
}


@dataclass(frozen=True)
class Place:
    """A pointer in words: the top-level `field`, the section (number from 1, title) if any, and the rest."""

    field: str  # "" for the whole module
    section_number: int | None
    section_title: str | None
    detail: str  # "question 1, choice 2", "" when the field or section itself is meant

    def section_words(self) -> str:
        """`section #6 'Check yourself'` (or `section #6` when the section has no title)."""
        if self.section_number is None:
            return ""
        title = f" {self.section_title!r}" if self.section_title else ""
        return f"section #{self.section_number}{title}"

    def text(self, field_names: Mapping[str, str] | None = None) -> str:
        """The whole place; `field_names` renames top-level fields (default: the field in backticks)."""
        if self.section_number is not None:
            head = self.section_words()
        elif self.field:
            head = (field_names or {}).get(self.field) or f"`{self.field}`"
        else:
            head = ""
        return ", ".join(part for part in (head, self.detail) if part)


def parse_pointer(pointer: str) -> list[str]:
    """The reference tokens of an RFC 6901 pointer ("" is the whole document)."""
    if not pointer or pointer == "/":
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/")]


def _index(token: str) -> int | None:
    return int(token) if token.isdigit() else None


def _item(container: Any, index: int) -> Any:
    return container[index] if isinstance(container, list) and 0 <= index < len(container) else None


def _label(kind: str, number: int, item: Any) -> str:
    """`question 1`, `hotspot 2 'oscilloscope'`, `tag 3 'ab…'`: the item's id or short text helps find it."""
    words = f"{kind} {number}"
    name = item.get("id") if isinstance(item, Mapping) and kind == "hotspot" else item
    if isinstance(name, str) and name.strip() and kind not in ("question", "section"):
        shown = " ".join(name.split())
        words += f" {shown if len(shown) <= 40 else shown[:39] + '…'!r}"
    return words


def describe_place(data: Mapping[str, Any] | None, pointer: str) -> Place:
    """Where `pointer` is in the module `data` (which may be partial or invalid: nothing here raises)."""
    tokens = parse_pointer(pointer)
    if not tokens:
        return Place("", None, None, "")
    field, rest = tokens[0], tokens[1:]
    node: Any = (data or {}).get(field) if isinstance(data, Mapping) else None
    section_number = section_title = None
    words: list[str] = []
    if field == "sections" and rest and _index(rest[0]) is not None:
        index = _index(rest[0])
        assert index is not None
        section = _item(node, index)
        section_number = index + 1
        title = section.get("title") if isinstance(section, Mapping) else None
        section_title = title if isinstance(title, str) and title.strip() else None
        node, rest = section, rest[1:]
        if rest and rest[0] in _SECTION_FIELDS:
            words.append(_SECTION_FIELDS[rest[0]])
            rest = []
        elif rest and rest[0] == "content":
            node, rest = (node or {}).get("content") if isinstance(node, Mapping) else None, rest[1:]
    parent = field
    for position, token in enumerate(rest):
        index = _index(token)
        if index is not None and parent in _ITEMS:
            node = _item(node, index)
            words.append(_label(_ITEMS[parent], index + 1, node))
        else:
            following = rest[position + 1] if position + 1 < len(rest) else ""
            if not (token in _ITEMS and _index(following) is not None):  # "questions/0" reads "question 1"
                words.append(token)
            node = node.get(token) if isinstance(node, Mapping) else None
        parent = token
    return Place(field if section_number is None else "sections", section_number, section_title, ", ".join(words))
