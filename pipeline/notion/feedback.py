"""Tell a team lead, on the Notion page itself, why its export failed — once per distinct problem."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from typing import TYPE_CHECKING

from pipeline.errors import NotionError

if TYPE_CHECKING:
    from pipeline.export import PageResult
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


def tell_team_lead(gateway: NotionGateway, result: PageResult) -> PageResult:
    """Add one comment naming the problems, unless the page already has one for the same problems."""
    if not result.problems or result.transient:
        return result  # a Notion outage is the operator's business, not the team lead's
    fingerprint = problem_fingerprint(result.problems)
    marker = f"[module export {fingerprint}]"
    try:
        for comment in gateway.list_comments(result.page_id):
            text = "".join(run.get("plain_text", "") for run in comment.get("rich_text") or [])
            if marker in text:
                return dataclasses.replace(result, notice=f"comment {fingerprint} already on the page")
        gateway.create_comment(result.page_id, failure_comment(result.problems, fingerprint))
    except NotionError as error:
        if error.status == 403:
            notice = (
                'could not comment on the page: give the integration the "Insert comments" capability '
                "(Notion → Settings → Integrations)"
            )
        else:
            notice = f"could not comment on the page: {error}"
        return dataclasses.replace(result, notice=notice)
    return dataclasses.replace(result, notice=f"commented on the page ({fingerprint})")
