"""Tell a team lead, on the Notion page itself, what to fix (or what the export changed) — once per distinct set."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipeline.errors import NotionError
from pipeline.notion.rich_text import rich_text_to_plain

if TYPE_CHECKING:
    from pipeline.notion.client import NotionGateway

MAX_LISTED = 10
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)
NEXT_EXPORT = (
    "The page can stay Ready: the next export (the nightly run, or an operator's run of Actions → export) "
    "reads it again."
)


def problem_fingerprint(problems: tuple[str, ...], warnings: tuple[str, ...] = ()) -> str:
    """A short id of the set of problems and warnings, stable across runs (ids and times do not change it)."""
    lines = [*problems, *(f"warning: {w}" for w in warnings)]
    canonical = "\n".join(sorted(_UUID.sub("<id>", line) for line in lines))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def _listed(items: Sequence[str]) -> list[str]:
    lines = [f"• {item}" for item in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        lines.append(f"• … and {len(items) - MAX_LISTED} more (fix these first: the rest are listed after)")
    return lines


def page_comment(
    problems: Sequence[str], warnings: Sequence[str], fingerprint: str, guide_url: str | None = None
) -> str:
    """The comment text: what to fix (or what changed), in the page's own terms, the next step, and the guide."""
    if problems:
        lines = ["This page was not exported to the module library. Please fix the following in Notion:"]
        lines += _listed(problems)
        if warnings:
            lines += ["", "Also, the export would leave out or change:", *_listed(warnings)]
        lines += ["", f"{NEXT_EXPORT} Once nothing above is left, it is exported and proposed for review."]
    else:
        lines = ["This page was exported, but the export left out or changed the following:"]
        lines += _listed(warnings)
        lines += ["", "If students should see these, fix them in Notion: the next export picks the change up."]
    if guide_url:
        lines.append(f"How to write a module page: {guide_url}")
    return "\n".join(lines) + f"\n[module export {fingerprint}]"


def tell_team_lead(
    gateway: NotionGateway,
    page_id: str,
    problems: tuple[str, ...],
    warnings: tuple[str, ...] = (),
    guide_url: str | None = None,
) -> str:
    """Add one comment naming the problems and warnings, unless the page already has one for the same set;
    return what became of the comment (a line for the export report)."""
    fingerprint = problem_fingerprint(problems, warnings)
    marker = f"[module export {fingerprint}]"
    # "Read comments" and "Insert comments" are separate capabilities: without Read, comment anyway (the
    # next run cannot see it, so it may repeat), and say which capability stops the repeats.
    unread = ""
    try:
        for comment in gateway.list_comments(page_id):
            if marker in rich_text_to_plain(comment.get("rich_text")):
                return f"comment {fingerprint} already on the page"
    except NotionError as error:
        if error.status != 403:
            return f"could not read the page's comments: {error}"
        unread = (
            '; the integration cannot read comments, so the next run may add it again: give it the "Read '
            'comments" capability (Notion → Settings → Integrations)'
        )
    try:
        gateway.create_comment(page_id, page_comment(problems, warnings, fingerprint, guide_url))
    except NotionError as error:
        if error.status == 403:
            return (
                'could not comment on the page: give the integration the "Insert comments" capability '
                "(Notion → Settings → Integrations)"
            )
        return f"could not comment on the page: {error}"
    return f"commented on the page ({fingerprint}){unread}"
