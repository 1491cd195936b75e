"""`ConversionIssue`: one thing on a Notion page that a team lead should fix (or know about)."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.module.problems import Severity


@dataclass(frozen=True)
class ConversionIssue:
    """What is wrong on which Notion page, in which block or property, and what to do about it in Notion."""

    page_id: str
    block_id: str | None
    where: str  # the section title or property name, "" when the whole page is meant
    message: str
    severity: Severity = "error"  # "error" stops the page's export; "warning" is reported and the export goes on

    def __str__(self) -> str:
        place = [f"Notion page {self.page_id}"]
        if self.where:
            place.append(repr(self.where))
        if self.block_id:
            place.append(f"block {self.block_id}")
        return f"{', '.join(place)}: {self.message}"
