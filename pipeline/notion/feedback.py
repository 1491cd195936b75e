"""Tell a team lead, on the Notion page itself, why its export failed — once per distinct problem."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from pipeline.errors import NotionError
from pipeline.notion.rich_text import rich_text_to_plain

if TYPE_CHECKING:
    from pipeline.notion.client import NotionGateway

MAX_LISTED = 10
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)


def problem_fingerprint(problems: tuple[str, ...]) -> str:
    """A short id of the set of problems, stable across runs (request ids and times do not change it)."""
    canonical = "\n".join(sorted(_UUID.sub("<id>", p) for p in problems))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def failure_comment(problems: tuple[str, ...], fingerprint: str) -> str:
    """The comment text: what to fix, in plain words, and a reference the next run recognises."""
    listed = [f"• {p}" for p in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        listed.append(f"• … and {len(problems) - MAX_LISTED} more")
    return (
        "This page could not be exported to the module library. Please fix the following, then set Status "
        "to Ready again:\n" + "\n".join(listed) + f"\n[module export {fingerprint}]"
    )


def tell_team_lead(gateway: NotionGateway, page_id: str, problems: tuple[str, ...]) -> str:
    """Add one comment naming the problems, unless the page already has one for the same problems; return what
    became of the comment (a line for the export report)."""
    fingerprint = problem_fingerprint(problems)
    marker = f"[module export {fingerprint}]"
    try:
        for comment in gateway.list_comments(page_id):
            if marker in rich_text_to_plain(comment.get("rich_text")):
                return f"comment {fingerprint} already on the page"
        gateway.create_comment(page_id, failure_comment(problems, fingerprint))
    except NotionError as error:
        if error.status == 403:
            notice = (
                'could not comment on the page: give the integration the "Insert comments" capability '
                "(Notion → Settings → Integrations)"
            )
        else:
            notice = f"could not comment on the page: {error}"
        return notice
    return f"commented on the page ({fingerprint})"
