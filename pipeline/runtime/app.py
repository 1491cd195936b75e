"""The runtime API's Flask app: its state (engine, token rules, module cache), error answers, health, serving.

`python -m pipeline serve` runs it on werkzeug for development (127.0.0.1, a per-data-folder key); production runs
`gunicorn 'pipeline.runtime:wsgi_app()'`, which always applies the production rules (docs/runtime-api.md).
"""

from __future__ import annotations

import logging
import sys
from urllib.parse import urlsplit

from flask import Flask, Response
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from pipeline.db.engine import embedded_url, parse_database_url
from pipeline.errors import ConfigError
from pipeline.learner import LearnerConfig, learner_blueprint
from pipeline.media.backends import public_base
from pipeline.media.local import LocalStore
from pipeline.runtime.api import api
from pipeline.runtime.auth import AuthConfig, TokenVerifier, auth_config, issue_token
from pipeline.runtime.content import ModuleCache
from pipeline.runtime.errors import RETRY_AFTER_SECONDS, ApiError, error_response
from pipeline.runtime.events import MAX_BODY_BYTES
from pipeline.runtime.media_files import register_media_files
from pipeline.runtime.state import RuntimeState, runtime_state, runtime_state_of
from pipeline.serving import run_development_server
from pipeline.settings import Settings, mask_url, redact

log = logging.getLogger(__name__)

POOL_TIMEOUT_SECONDS = 5  # a request waits this long for a free connection before answering 503
CONNECT_TIMEOUT_SECONDS = 5
NO_STORE = "private, no-store"
APP_LOAD_ERROR = 4  # the exit status gunicorn's workers use for an application that cannot load
POOL_RECYCLE_SECONDS = 300  # Neon closes idle connections when its compute suspends (after 5 minutes idle)


def runtime_engine(settings: Settings) -> Engine:
    """A pooled Engine: `runtime_pool_size` connections per worker, checked before use, recycled after 5 min.

    Behind Neon's -pooler (PgBouncer, transaction mode) a small client pool is still right: our connections hold
    no session state, and PgBouncer lends a server connection only for the length of a transaction.
    """
    parsed = parse_database_url(settings.database_url or embedded_url(settings.pgdata_dir))
    connect_args: dict[str, object] = {}
    if "connect_timeout" not in parsed.query:  # the URL's own ?connect_timeout= wins
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    connect_args["application_name"] = "frames-runtime"
    return create_engine(
        parsed,
        pool_size=settings.runtime_pool_size,
        max_overflow=0,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        pool_pre_ping=True,
        pool_recycle=POOL_RECYCLE_SECONDS,
        connect_args=connect_args,
        hide_parameters=True,  # an error's text never carries student ids or payloads into a log
    )


def head_migration() -> str:
    """The newest migration this code knows: /readyz answers ready only when the database is at it."""
    from alembic.script import ScriptDirectory

    from pipeline.db.engine import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def create_app(settings: Settings, *, host: str | None, engine: Engine | None = None) -> Flask:
    """The app for a server bound to `host` (None: gunicorn, production rules). ConfigError when it must not run."""
    config: AuthConfig = auth_config(settings, host)
    app = Flask("pipeline.runtime")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # An id holding "/" arrives as "//" in the path: a 404 in JSON, not werkzeug's HTML redirect to a merged path.
    app.url_map.merge_slashes = False
    state = RuntimeState(
        engine or runtime_engine(settings),
        TokenVerifier(config),
        ModuleCache(settings.runtime_cache_seconds, media_base=public_base(settings)),
        head_migration(),
    )
    app.extensions["frames_runtime"] = state
    _register_errors(app)
    _register_health(app)
    app.after_request(_security_headers)

    app.register_blueprint(api)
    if not settings.media_bucket:  # the local back end: `serve` is its CDN
        register_media_files(app, LocalStore(settings.media_dir))
    app.register_blueprint(learner_blueprint(_learner_config(settings, config)))
    return app


def _security_headers(response: Response) -> Response:
    """Every answer: no MIME sniffing; and, unless the route chose (the module fetch revalidates by ETag), a
    student's data is not kept by the browser or any cache on the way."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Cache-Control", NO_STORE)
    return response


def _learner_config(settings: Settings, config: AuthConfig) -> LearnerConfig:
    """The learner page's sign-in: a development picker only under the development key, else the LMS hand-off."""
    origin = settings.runtime_lms_origin
    if origin is not None and not _is_origin(origin):
        raise ConfigError(
            f"RUNTIME_LMS_ORIGIN={origin!r} is not an origin; write the LMS's scheme, host and port only, "
            "such as https://lms.example.edu"
        )
    if not config.development:
        return LearnerConfig(development=False, lms_origin=origin)
    return LearnerConfig(
        development=True, mint_token=lambda student: issue_token(settings, student).token, lms_origin=origin
    )


def _is_origin(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc) and value == f"{parts.scheme}://{parts.netloc}"


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        messages = {
            404: "no such endpoint; the API is described at /api/openapi.json",
            405: "this endpoint does not take that method; see /api/openapi.json",
            413: f"the request body is larger than {MAX_BODY_BYTES} bytes; send smaller batches",
        }
        headers = dict(exc.get_headers()) if status == 405 else {}
        allow = {"Allow": headers["Allow"]} if "Allow" in headers else {}
        return error_response(status, code, messages.get(status, exc.description or code), allow)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(exc: Exception) -> Response:
        if isinstance(exc, DBAPIError) and not _is_unavailable(exc):
            # The statement's first words and the driver's error name, never its parameters (student ids,
            # payloads): the engine hides them (hide_parameters), and the traceback would carry the values' text.
            log.error("database statement failed: %s (%s)", _statement_name(exc.statement), type(exc.orig).__name__)
            return error_response(500, "internal_error", "the server failed to answer; it has been logged")
        log.warning("database unavailable: %s", mask_url(str(getattr(exc, "orig", exc)).strip().splitlines()[0]))
        return error_response(
            503,
            "database_unavailable",
            f"the database cannot be reached right now; retry in {RETRY_AFTER_SECONDS} seconds",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unexpected error")
        return error_response(500, "internal_error", "the server failed to answer; it has been logged")


def _statement_name(statement: str | None) -> str:
    """`INSERT INTO module_analytics_events …`: what the statement is, in its first words."""
    words = " ".join((statement or "").split()).split(" ")
    return " ".join(words[:6]) + (" …" if len(words) > 6 else "")


def _is_unavailable(exc: DBAPIError) -> bool:
    """Connection-level failures (down, restarting, refused, too many clients), not a faulty statement."""
    return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)


def _register_health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        return Response('{"status":"ok"}', mimetype="application/json")

    @app.get("/readyz")
    def readyz() -> Response:
        state = runtime_state()
        with state.engine.connect() as conn:
            try:
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except DBAPIError as exc:
                if _is_unavailable(exc):
                    raise
                current = None
        if current != state.head_migration:
            return error_response(
                503,
                "not_ready",
                f"the database is at migration {current or 'none'}, this server needs {state.head_migration}: "
                "run `python -m pipeline db upgrade`",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return Response(f'{{"status":"ready","migration":"{current}"}}', mimetype="application/json")


def check_production_settings(settings: Settings) -> None:
    """ConfigError when the API must not run under gunicorn with `settings` (keys, issuer, database URL)."""
    auth_config(settings, None)
    if settings.database_url:
        parse_database_url(settings.database_url)


def wsgi_app() -> Flask:
    """Entry point for gunicorn: `gunicorn -c python:pipeline.runtime.gunicorn_conf 'pipeline.runtime:wsgi_app()'`,
    settings from the environment (the config's master hook has checked them before forking)."""
    settings = None
    try:
        settings = Settings.from_env()
        return create_app(settings, host=None)
    except ConfigError as exc:
        print(f"error: {redact(str(exc), settings)}", file=sys.stderr, flush=True)
        # gunicorn's "App failed to load": the server stops, instead of restarting the worker in a loop
        raise SystemExit(APP_LOAD_ERROR) from None


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API on werkzeug's threaded server (development; production: gunicorn)."""
    app = create_app(settings, host=host)
    config = runtime_state_of(app).verifier.config
    if config.development:
        log.warning(
            "development key: tokens from `python -m pipeline token STUDENT_ID` work here; listening on %s only", host
        )
    log.warning("the learner page: http://%s:%s/learn/", f"[{host}]" if ":" in host else host, port)
    run_development_server(app, host, port)
