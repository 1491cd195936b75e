"""The receiver: Flask app that checks Notion's requests and asks GitHub to run the export (docs/webhook.md)."""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from flask import Flask, Response, request
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from werkzeug.exceptions import HTTPException

from pipeline.db.engine import parse_database_url
from pipeline.errors import ConfigError
from pipeline.notion.ids import normalise_page_id
from pipeline.serving import run_development_server
from pipeline.settings import Settings, redact, redact_handlers
from pipeline.webhook.coalescing import Coalescer, SharedCoalescer
from pipeline.webhook.dispatch import dispatch_export
from pipeline.webhook.events import (
    PAGE_EVENTS,
    RETRY_WINDOW,
    NotionEvent,
    SeenEvents,
    SharedSeenEvents,
    check_fresh,
    is_in_library,
    is_own_write,
    parse_event,
)
from pipeline.webhook.verification import (
    Refused,
    body_deadline,
    decode,
    is_signed_by,
    read_body,
    refuse_deep_unsigned,
    token_in,
    verification_token,
    verify_signature,
)

log = logging.getLogger("pipeline.webhook")

WEBHOOK_PATH = "/notion/webhook"
COALESCER = "pipeline.webhook.coalescer"  # the app's Coalescer, in app.extensions
APP_LOAD_ERROR = 4
STATE_CONNECT_TIMEOUT_SECONDS = 5  # the exit status gunicorn's workers use for an application that cannot load
_NOTION_ID = re.compile(r"[0-9a-f]{32}")


def check_settings(settings: Settings) -> None:
    """Raise ConfigError naming what the receiver needs and lacks."""
    settings.require("github_token", "github_repository")
    settings.http_url("github_api_url", "https://api.github.com")  # refused at start, not on Notion's first event
    if not (settings.notion_data_source_id or settings.notion_database_id):
        settings.require("notion_data_source_id")
    bot = settings.notion_bot_user_id
    if not bot:
        raise ConfigError(
            "missing configuration: NOTION_BOT_USER_ID, the integration's bot user id; without it the receiver "
            "cannot tell the integration's own writes from edits and would start an export for each of them. "
            "Find it with GET /v1/users/me (docs/webhook.md#configuration)"
        )
    if settings.database_url:
        parse_database_url(settings.database_url)  # a ConfigError naming the URL's problem, password masked
    if not _NOTION_ID.fullmatch(normalise_page_id(bot)):
        raise ConfigError(
            f"NOTION_BOT_USER_ID={bot!r} is not a Notion user id (32 hex digits, dashes optional); "
            "copy the `id` of GET /v1/users/me (docs/webhook.md#configuration)"
        )


def state_engine(database_url: str) -> Engine:
    """The engine of the shared state (delivery ids, windows): a small pool, 5 s to connect, no values in errors.

    psycopg2 blocks the gevent loop while it waits, so every wait is short: two statements per delivery."""
    parsed = parse_database_url(database_url)
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": STATE_CONNECT_TIMEOUT_SECONDS}
    return create_engine(
        parsed,
        pool_size=2,
        max_overflow=2,
        pool_timeout=STATE_CONNECT_TIMEOUT_SECONDS,
        pool_pre_ping=True,
        pool_recycle=300,
        connect_args={**connect_args, "application_name": "frames-webhook"},
        hide_parameters=True,
    )


def _check_state_tables(engine: Engine) -> None:
    """ConfigError when the database lacks migration 0006's tables (an unreachable database is only logged)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1 FROM webhook_deliveries, webhook_windows LIMIT 0"))
    except ProgrammingError:
        raise ConfigError(
            "the database at DATABASE_URL has no webhook_deliveries / webhook_windows tables: run "
            "`python -m pipeline db upgrade` against it (docs/webhook.md#shared-state)"
        ) from None
    except DBAPIError as exc:
        log.warning(
            "the shared state database cannot be reached yet (%s); deliveries answer 500 until it can",
            type(exc.orig).__name__,
        )


def create_app(
    settings: Settings,
    *,
    replay_window: timedelta = RETRY_WINDOW,
    seen: SeenEvents | SharedSeenEvents | None = None,
    now: Callable[[], datetime] | None = None,
) -> Flask:
    """The WSGI app: POST /notion/webhook receives Notion's events, GET /healthz answers 200.

    With DATABASE_URL, handled delivery ids and coalescing windows are rows in PostgreSQL shared by every process;
    without it, they live in this process's memory (one process only)."""
    check_settings(settings)
    bot_user_id = str(settings.notion_bot_user_id)
    engine = state_engine(settings.database_url) if settings.database_url else None
    if engine is not None:
        _check_state_tables(engine)
    if seen is None:
        seen = SharedSeenEvents(engine) if engine is not None else SeenEvents()
    clock = now or (lambda: datetime.now(UTC))
    # One client for the app's life: building one per request (its TLS context) costs ~20 ms; it is thread-safe.
    github = httpx.Client(timeout=10.0)

    def send(event: NotionEvent) -> None:
        dispatch_export(settings, event, github)

    seconds = settings.webhook_coalesce_seconds
    coalescer = SharedCoalescer(engine, send, seconds) if engine is not None else Coalescer(send, seconds)
    app = Flask(__name__)
    app.extensions[COALESCER] = coalescer

    def answer(code: int, **fields: Any) -> Response:
        response = Response(json.dumps(fields), status=code, mimetype="application/json")
        if code in (408, 413):
            # The rest of the body was not read: werkzeug closes the connection (gunicorn drops this hop-by-hop
            # header and discards the rest itself before the next request on the connection).
            response.headers["Connection"] = "close"
        return response

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
        with body_deadline(settings.webhook_body_seconds):  # 408 for a client that sends its body too slowly
            body = read_body(  # 413 past MAX_BODY_BYTES, with a Content-Length or chunked
                request.environ["wsgi.input"],
                request.headers.get("Content-Length"),
                terminated=bool(request.environ.get("wsgi.input_terminated")),
            )
        signature = request.headers.get("X-Notion-Signature")
        secret = settings.notion_webhook_secret
        if is_signed_by(secret, body, signature):
            payload = decode(body)  # 400 when nested too deep, before json.loads sees it
            token = token_in(payload)  # Notion re-sending the verification of this subscription
            return _verification(token) if token is not None else _handle(parse_event(payload))
        # Not signed with the secret: only Notion's verification request may be, and only it is parsed.
        refuse_deep_unsigned(body)
        token = verification_token(body, signature)
        if token is not None:
            return _verification(token)
        if not secret:
            raise Refused(503, "not_configured", "NOTION_WEBHOOK_SECRET is not set: finish the verification step first")
        verify_signature(secret, body, signature)  # raises the 401 that says what is wrong
        raise Refused(401, "bad_signature", "X-Notion-Signature does not match the body")

    def _handle(event: NotionEvent) -> Response:
        check_fresh(event, clock(), replay_window)
        if not seen.reserve(event.event_id):
            # Handled already (Notion did not get our answer, or a replay): 2xx, or Notion retries it again.
            return answer(200, status="duplicate", event_id=event.event_id)
        if event.event_type not in PAGE_EVENTS or event.page_id is None:
            return answer(200, status="ignored", reason=f"{event.event_type} cannot make a page Ready")
        if not is_in_library(event.parent, settings.notion_data_source_id, settings.notion_database_id):
            return answer(200, status="ignored", reason="the page is not in the Module Library")
        if is_own_write(event, bot_user_id):
            log.info("ignored event %s: only this integration changed page %s", event.event_id, event.page_id)
            return answer(200, status="ignored", reason="only this integration's own writes changed the page")
        try:
            outcome = coalescer.submit(event)
        except Exception:
            seen.release(event.event_id)  # not dispatched: Notion's retry must get through
            raise
        return answer(202, status=outcome, page_id=event.page_id, event_id=event.event_id)

    def _verification(token: str) -> Response:
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


def _log_dispatches() -> None:
    # A server's operator wants to see each dispatch without -v: this package logs at INFO whatever the root level.
    if log.level == logging.NOTSET or log.level > logging.INFO:
        log.setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run the receiver on werkzeug's threaded server (production: gunicorn, see docs/webhook.md)."""
    _log_dispatches()  # the command line's own log handler hides secrets already
    app = create_app(settings)
    if not settings.notion_webhook_secret:
        log.warning("NOTION_WEBHOOK_SECRET is not set: waiting for Notion's verification request")
    atexit.register(app.extensions[COALESCER].flush)
    run_development_server(app, host, port)


def wsgi_app() -> Flask:
    """Entry point for gunicorn (docs/webhook.md): `gunicorn -c python:pipeline.webhook.gunicorn_conf
    'pipeline.webhook:wsgi_app()'`, with settings from the environment and secrets kept out of the log."""
    _log_dispatches()
    settings: Settings | None = None
    try:
        settings = Settings.from_env()
        redact_handlers(logging.getLogger().handlers, settings)
        app = create_app(settings)
    except ConfigError as exc:
        log.error("error: %s", redact(str(exc), settings))
        # gunicorn's "App failed to load": the server stops, instead of restarting the worker in a loop
        raise SystemExit(APP_LOAD_ERROR) from None
    atexit.register(app.extensions[COALESCER].flush)  # a graceful stop sends the trailing dispatches it holds
    return app
