"""`ConversionIssue`: one thing on a Notion page that a team lead should fix (or know about)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.module.problems import Severity
from pipeline.notion.rich_text import rich_text_to_plain

FIRST_WORDS = 6


@dataclass(frozen=True)
class ConversionIssue:
    """What is wrong on which Notion page, in which block or property, and what to do about it in Notion.

    `where` is the section title or property name ("" for the whole page), `section_number` counts from 1,
    `block_words` are the first words of the block meant (how a team lead finds it: block ids are invisible in
    Notion) and `pointer` is the part of the module the issue is about (/estimated_minutes, /sections/2/content),
    so that validating what did convert does not report the same thing twice.
    """

    page_id: str
    block_id: str | None
    where: str
    message: str
    severity: Severity = "error"  # "error" stops the page's export; "warning" is reported and the export goes on
    section_number: int | None = None
    pointer: str = ""
    block_words: str = ""
    detail: str = ""  # where inside the property or section: "question 1, choice 2"

    def __str__(self) -> str:
        place = [f"Notion page {self.page_id}"]
        if self.where:
            place.append(repr(self.where))
        if self.block_id:
            place.append(f"block {self.block_id}")
        return f"{', '.join(place)}: {self.message}"


def block_words(block: dict[str, Any] | None) -> str:
    """The first words a reader sees in a block ("" when it shows none): its text, caption, title or file name."""
    if not block:
        return ""
    data = block.get(str(block.get("type"))) or {}
    if not isinstance(data, dict) or block.get("type") == "code":  # a code block is named by its language
        return ""
    text = rich_text_to_plain(data.get("rich_text")) or rich_text_to_plain(data.get("caption"))
    if not text:
        text = str(data.get("title") or data.get("name") or data.get("url") or "")
    if not text and isinstance(data.get("external"), dict):
        text = str(data["external"].get("url") or "")
    words = text.split()
    shown = " ".join(words[:FIRST_WORDS])
    if len(shown) > 60:
        shown = shown[:59].rstrip()
    return shown + ("…" if len(words) > FIRST_WORDS or len(shown) < len(" ".join(words[:FIRST_WORDS])) else "")
