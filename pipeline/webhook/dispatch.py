"""Asking GitHub to run the export: one `notion-ready` repository_dispatch per (coalesced) page event."""

from __future__ import annotations

import logging

import httpx

from pipeline.settings import Settings
from pipeline.webhook.events import NotionEvent
from pipeline.webhook.verification import Refused

log = logging.getLogger(__name__)
DISPATCH_EVENT_TYPE = "notion-ready"


def dispatch_export(settings: Settings, event: NotionEvent, client: httpx.Client) -> None:
    """POST a `notion-ready` repository_dispatch for the event's page; Refused(502) when GitHub says no."""
    url = f"{settings.github_api_url.rstrip('/')}/repos/{settings.github_repository}/dispatches"
    body = {"event_type": DISPATCH_EVENT_TYPE, "client_payload": {"page_id": event.page_id, "event_id": event.event_id}}
    headers = {
        "Authorization": f"Bearer {settings.github_token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    try:
        response = client.post(url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        log.error("repository_dispatch to %s failed: %s", settings.github_repository, exc)
        raise Refused(502, "dispatch_failed", "GitHub could not be reached; Notion will retry") from exc
    if response.status_code != 204:
        try:
            reason = response.json().get("message", "")
        except ValueError:
            reason = response.text[:200]
        log.error(
            "repository_dispatch to %s refused: HTTP %d %s (check GITHUB_TOKEN: it needs "
            "contents: write on the repository)",
            settings.github_repository,
            response.status_code,
            reason,
        )
        raise Refused(502, "dispatch_failed", f"GitHub refused the dispatch (HTTP {response.status_code})")
    log.info(
        "dispatched %s for page %s (event %s, %s)", DISPATCH_EVENT_TYPE, event.page_id, event.event_id, event.event_type
    )
