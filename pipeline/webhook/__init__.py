"""A Notion webhook receiver that asks GitHub to run the export for the page that changed.

`app` (the Flask app and its entry points), `verification` (body limits and signatures), `events` (what an event
says and whether to act on it), `coalescing` (one dispatch per page per window), `dispatch` (GitHub's side)."""

from pipeline.webhook.app import WEBHOOK_PATH, check_settings, create_app, serve, wsgi_app
from pipeline.webhook.coalescing import Coalescer
from pipeline.webhook.dispatch import DISPATCH_EVENT_TYPE, dispatch_export
from pipeline.webhook.events import (
    CLOCK_SKEW,
    PAGE_EVENTS,
    RETRY_WINDOW,
    Author,
    NotionEvent,
    SeenEvents,
    is_in_library,
    is_own_write,
    parse_event,
)
from pipeline.webhook.verification import (
    MAX_BODY_BYTES,
    MAX_NESTING,
    Refused,
    nesting_within,
    signature_for,
    verify_signature,
)

__all__ = [
    "CLOCK_SKEW",
    "DISPATCH_EVENT_TYPE",
    "MAX_BODY_BYTES",
    "MAX_NESTING",
    "PAGE_EVENTS",
    "RETRY_WINDOW",
    "WEBHOOK_PATH",
    "Author",
    "Coalescer",
    "NotionEvent",
    "Refused",
    "SeenEvents",
    "check_settings",
    "create_app",
    "dispatch_export",
    "is_in_library",
    "is_own_write",
    "nesting_within",
    "parse_event",
    "serve",
    "signature_for",
    "verify_signature",
    "wsgi_app",
]
