"""What every stage hands back to the command line, and the short-text helpers the reports share.

A stage's library function returns a report with `ok` (did the input pass?) and `lines()` (what to print, one
line each); `pipeline/cli.py` prints the lines and exits 0 or 1. Reports meant for GitHub (PR bodies, job
summaries) put Notion text into Markdown tables through `markdown_cell`, so no title can break a table or
start formatting.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

MARKDOWN_SPECIALS = frozenset("\\`*_[]<>|#!~&()")


class Report(Protocol):
    """A stage's result as the command line shows it."""

    @property
    def ok(self) -> bool: ...

    def lines(self) -> list[str]: ...


def short_text(value: Any, limit: int = 80) -> str:
    """`value` on one line (JSON for non-strings), cut to `limit` characters with an ellipsis."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def markdown_cell(value: Any, limit: int = 80) -> str:
    """`short_text` made safe inside a Markdown table cell: every character that could format is escaped."""
    return "".join("\\" + ch if ch in MARKDOWN_SPECIALS else ch for ch in short_text(value, limit))
