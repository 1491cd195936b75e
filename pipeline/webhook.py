"""Strategy 3: a Notion webhook receiver that asks GitHub to run the export for the page that changed."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from pipeline.errors import ConfigError
from pipeline.notion.ids import normalise_page_id
from pipeline.settings import Settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/notion/webhook"
MAX_BODY_BYTES = 256 * 1024
# Notion delivers within about five minutes; older deliveries are refused (the nightly export still runs).
REPLAY_WINDOW = timedelta(minutes=15)
CLOCK_SKEW = timedelta(minutes=5)
SEEN_EVENTS = 10_000
DISPATCH_EVENT_TYPE = "notion-ready"
# Events that can mean "this page may now be Ready". Events only signal a change: the dispatched workflow runs a
# plain `sync`, which reads the pages edited since the last run and exports only Ready ones, so the receiver needs
# no Notion token and can never get a draft proposed.
PAGE_EVENTS = frozenset(
    {"page.created", "page.properties_updated", "page.content_updated", "page.moved", "page.undeleted"}
)
_SIGNATURE = re.compile(r"sha256=([0-9a-f]{64})")


@dataclass(frozen=True)
class NotionEvent:
    """The parts of a Notion webhook event the receiver acts on."""

    event_id: str
    event_type: str
    timestamp: datetime
    page_id: str | None
    parent: dict[str, Any]


class SeenEvents:
    """Event ids already handled (or being handled): a bounded, thread-safe LRU kept in memory."""

    def __init__(self, capacity: int = SEEN_EVENTS) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def reserve(self, event_id: str) -> bool:
        """True if `event_id` is new (and now reserved); False if it was seen before."""
        with self._lock:
            if event_id in self._ids:
                self._ids.move_to_end(event_id)
                return False
            self._ids[event_id] = None
            while len(self._ids) > self.capacity:
                self._ids.popitem(last=False)
            return True

    def release(self, event_id: str) -> None:
        """Forget `event_id`, so that Notion's retry of a failed delivery is handled again."""
        with self._lock:
            self._ids.pop(event_id, None)


class Refused(Exception):
    """A request the receiver will not act on: answered with `status` and a JSON error."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def signature_for(secret: str, body: bytes) -> str:
    """The `X-Notion-Signature` value Notion sends for `body`: sha256=HMAC-SHA256(secret, raw body)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> None:
    """Raise Refused(401) unless `header` is the signature of the raw `body` under `secret`."""
    if not header:
        raise Refused(401, "missing_signature", "X-Notion-Signature header is missing")
    match = _SIGNATURE.fullmatch(header.strip())
    if not match:
        raise Refused(401, "malformed_signature", "X-Notion-Signature must be sha256=<64 hex digits>")
    if not hmac.compare_digest(signature_for(secret, body), f"sha256={match[1]}"):
        raise Refused(401, "bad_signature", "X-Notion-Signature does not match the body")


def parse_event(payload: Any) -> NotionEvent:
    """The event in a decoded webhook body; Refused(400) when a required field is missing or wrong."""
    if not isinstance(payload, dict):
        raise Refused(400, "malformed_event", "the body must be a JSON object")
    event_id, event_type, stamp = payload.get("id"), payload.get("type"), payload.get("timestamp")
    entity, data = payload.get("entity"), payload.get("data", {})
    if not (isinstance(event_id, str) and event_id and isinstance(event_type, str) and isinstance(stamp, str)):
        raise Refused(400, "malformed_event", "an event needs string fields id, type and timestamp")
    if not isinstance(entity, dict) or not isinstance(entity.get("id"), str) or not isinstance(data, dict):
        raise Refused(400, "malformed_event", "an event needs entity.id and an object in data")
    try:
        timestamp = datetime.fromisoformat(stamp)
    except ValueError:
        raise Refused(400, "malformed_event", f"timestamp {stamp!r} is not ISO 8601") from None
    if timestamp.tzinfo is None:
        raise Refused(400, "malformed_event", f"timestamp {stamp!r} has no time zone")
    page_id = entity["id"] if entity.get("type") == "page" else None
    parent = found if isinstance(found := data.get("parent"), dict) else {}
    return NotionEvent(event_id, event_type, timestamp, page_id, parent)


def is_in_library(parent: dict[str, Any], data_source_id: str | None, database_id: str | None) -> bool:
    """True when the event's parent is the Module Library (2025-09-03 names its data source; older, the database)."""
    wanted = {normalise_page_id(i) for i in (data_source_id, database_id) if i}
    found = {normalise_page_id(str(parent[key])) for key in ("data_source_id", "id") if parent.get(key)}
    return bool(wanted & found)


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


def check_settings(settings: Settings) -> None:
    """Raise ConfigError naming what the receiver needs and lacks."""
    settings.require("github_token", "github_repository")
    settings.http_url("github_api_url", "https://api.github.com")  # refused at start, not on Notion's first event
    if not (settings.notion_data_source_id or settings.notion_database_id):
        settings.require("notion_data_source_id")


def create_app(
    settings: Settings,
    *,
    replay_window: timedelta = REPLAY_WINDOW,
    seen: SeenEvents | None = None,
    now: Callable[[], datetime] | None = None,
) -> Flask:
    """The WSGI app: POST /notion/webhook receives Notion's events, GET /healthz answers 200."""
    check_settings(settings)
    seen = seen if seen is not None else SeenEvents()
    clock = now or (lambda: datetime.now(UTC))
    # One client for the app's life: building one per request (its TLS context) costs ~20 ms; it is thread-safe.
    github = httpx.Client(timeout=10.0)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    def answer(code: int, **fields: Any) -> Response:
        return Response(json.dumps(fields), status=code, mimetype="application/json")

    @app.errorhandler(Refused)
    def refused(exc: Refused) -> Response:
        log.warning("refused webhook request: %s %s", exc.status, exc.message)
        return answer(exc.status, error=exc.error, message=exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        name = (exc.name or "error").lower().replace(" ", "_")
        return answer(exc.code or 500, error=name, message=exc.description or "")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("webhook request failed")
        return answer(500, error="internal_error", message="the receiver failed; Notion will retry")

    @app.get("/healthz")
    def health() -> Response:
        return answer(200, status="ok")

    @app.post(WEBHOOK_PATH)
    def receive() -> Response:
        body = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
        signature = request.headers.get("X-Notion-Signature")
        if signature is None:
            payload = _decode(body)
            if isinstance(payload, dict) and set(payload) == {"verification_token"}:
                return _verification(payload["verification_token"])
            raise Refused(401, "missing_signature", "X-Notion-Signature header is missing")
        if not settings.notion_webhook_secret:
            raise Refused(503, "not_configured", "NOTION_WEBHOOK_SECRET is not set: finish the verification step")
        verify_signature(settings.notion_webhook_secret, body, signature)
        event = parse_event(_decode(body))
        age = clock() - event.timestamp
        if age > replay_window or age < -CLOCK_SKEW:
            raise Refused(
                400,
                "stale_event",
                f"event {event.event_id} is dated {event.timestamp.isoformat()}, "
                f"outside the {int(replay_window.total_seconds() // 60)}-minute window",
            )
        if not seen.reserve(event.event_id):
            raise Refused(409, "duplicate_event", f"event {event.event_id} was already received")
        if event.event_type not in PAGE_EVENTS or event.page_id is None:
            return answer(200, status="ignored", reason=f"{event.event_type} cannot make a page Ready")
        if not is_in_library(event.parent, settings.notion_data_source_id, settings.notion_database_id):
            return answer(200, status="ignored", reason="the page is not in the Module Library")
        try:
            dispatch_export(settings, event, github)
        except Exception:
            seen.release(event.event_id)  # not dispatched: Notion's retry must get through
            raise
        log.info(
            "dispatched %s for page %s (event %s, %s)",
            DISPATCH_EVENT_TYPE,
            event.page_id,
            event.event_id,
            event.event_type,
        )
        return answer(202, status="dispatched", page_id=event.page_id, event_id=event.event_id)

    def _verification(token: Any) -> Response:
        if not isinstance(token, str) or not token:
            raise Refused(400, "malformed_event", "verification_token must be a non-empty string")
        if settings.notion_webhook_secret:
            # Already set up: do not print a token someone else may have sent; show only its fingerprint.
            fingerprint = hashlib.sha256(token.encode()).hexdigest()[:12]
            log.warning(
                "Notion sent a new verification_token (sha256 %s…). To re-verify, unset "
                "NOTION_WEBHOOK_SECRET, restart, and send the verification again.",
                fingerprint,
            )
        else:
            # Set-up mode: the operator needs this value once, to paste into Notion and into the secret.
            log.warning(
                "Notion verification_token received: %s — paste it into Notion's 'Verify' dialog and "
                "set it as NOTION_WEBHOOK_SECRET, then restart the receiver.",
                token,
            )
        return answer(200, status="verification_received")

    return app


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Refused(400, "malformed_json", "the body is not valid JSON") from None


def _log_dispatches() -> None:
    # A server's operator wants to see each dispatch without -v: this module logs at INFO whatever the root level.
    if log.level == logging.NOTSET or log.level > logging.INFO:
        log.setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run the receiver on werkzeug's threaded server (production: gunicorn, see docs/webhook.md)."""
    from werkzeug.serving import run_simple

    _log_dispatches()
    app = create_app(settings)
    _check_can_listen(host, port)
    if not settings.notion_webhook_secret:
        log.warning("NOTION_WEBHOOK_SECRET is not set: waiting for Notion's verification request")
    run_simple(host, port, app, threaded=True)


def _check_can_listen(host: str, port: int) -> None:
    """ConfigError naming --host/--port when they cannot be listened on (werkzeug would print a reason, exit 1)."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        socket.create_server(address[:2], family=family).close()
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "choose another --port, or a --host address of this machine"
        ) from None


def wsgi_app() -> Flask:
    """Entry point for gunicorn: `gunicorn 'pipeline.webhook:wsgi_app()'` with settings from the environment."""
    _log_dispatches()
    try:
        return create_app(Settings.from_env())
    except ConfigError as exc:
        raise SystemExit(f"error: {exc}") from None
