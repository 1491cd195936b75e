"""Configuration read once from the environment (flags override), with secrets masked whenever shown."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pipeline.errors import ConfigError

SECRET_FIELDS = frozenset(
    {
        "notion_token",
        "github_token",
        "database_url",
        "database_readonly_url",
        "notion_webhook_secret",
        "runtime_jwt_secret",
    }
)

_ENV_NAMES = {
    "notion_token": "NOTION_TOKEN",
    "notion_data_source_id": "NOTION_DATA_SOURCE_ID",
    "notion_database_id": "NOTION_DATABASE_ID",
    "notion_base_url": "NOTION_BASE_URL",
    "github_token": "GITHUB_TOKEN",
    "github_repository": "GITHUB_REPOSITORY",
    "github_api_url": "GITHUB_API_URL",
    "database_url": "DATABASE_URL",
    "database_readonly_url": "DATABASE_READONLY_URL",
    "modules_dir": "MODULES_DIR",
    "assets_dir": "ASSETS_DIR",
    "pgdata_dir": "PIPELINE_PGDATA",
    "source_commit": "GITHUB_SHA",
    "notion_webhook_secret": "NOTION_WEBHOOK_SECRET",
    "notion_guide_url": "NOTION_GUIDE_URL",
    "github_server_url": "GITHUB_SERVER_URL",
    "github_run_id": "GITHUB_RUN_ID",
    "notion_bot_user_id": "NOTION_BOT_USER_ID",
    "webhook_coalesce_seconds": "PIPELINE_WEBHOOK_COALESCE_SECONDS",
    "webhook_body_seconds": "PIPELINE_WEBHOOK_BODY_SECONDS",
    "webhook_client_connections": "PIPELINE_WEBHOOK_CLIENT_CONNECTIONS",
    "notion_requests_per_second": "NOTION_REQUESTS_PER_SECOND",
    "notion_timeout_seconds": "NOTION_TIMEOUT_SECONDS",
    "notion_retry_seconds": "NOTION_RETRY_SECONDS",
    # not GITHUB_*: Actions reserves that prefix for its own variables
    "github_retries": "PIPELINE_GITHUB_RETRIES",
    "github_backoff_factor": "PIPELINE_GITHUB_BACKOFF_FACTOR",
    "github_rate_limit_wait": "PIPELINE_GITHUB_RATE_LIMIT_WAIT",
    "github_seconds_between_requests": "PIPELINE_GITHUB_SECONDS_BETWEEN_REQUESTS",
    "github_seconds_between_writes": "PIPELINE_GITHUB_SECONDS_BETWEEN_WRITES",
    # the student runtime API (docs/runtime-api.md)
    "runtime_env": "RUNTIME_ENV",
    "runtime_jwt_secret": "RUNTIME_JWT_SECRET",
    "runtime_jwks_url": "RUNTIME_JWKS_URL",
    "runtime_jwt_audience": "RUNTIME_JWT_AUDIENCE",
    "runtime_jwt_issuer": "RUNTIME_JWT_ISSUER",
    "runtime_cache_seconds": "RUNTIME_CACHE_SECONDS",
    "runtime_pool_size": "RUNTIME_POOL_SIZE",
    # media in object storage (docs/media.md); credentials and region are boto3's own AWS_* variables
    "media_bucket": "MEDIA_BUCKET",
    "media_endpoint_url": "MEDIA_ENDPOINT_URL",
    "media_base_url": "MEDIA_BASE_URL",
    "media_dir": "MEDIA_DIR",
    "media_max_bytes": "MEDIA_MAX_BYTES",
    "media_upload_workers": "MEDIA_UPLOAD_WORKERS",
    "media_gc_grace_days": "MEDIA_GC_GRACE_DAYS",
    "runtime_lms_origin": "RUNTIME_LMS_ORIGIN",
}
_NUMBER_FIELDS = {
    "notion_requests_per_second": float,
    "notion_timeout_seconds": float,
    "notion_retry_seconds": float,
    "github_retries": int,
    "github_backoff_factor": float,
    "github_rate_limit_wait": float,
    "github_seconds_between_requests": float,
    "github_seconds_between_writes": float,
    "webhook_coalesce_seconds": float,
    "webhook_body_seconds": float,
    "webhook_client_connections": int,
    "runtime_cache_seconds": float,
    "runtime_pool_size": int,
    "media_max_bytes": int,
    "media_upload_workers": int,
    "media_gc_grace_days": float,
}
# Zero would mean "never send a request" or "time out at once": these must be above zero.
_POSITIVE_FIELDS = frozenset(
    {
        "notion_requests_per_second",
        "notion_timeout_seconds",
        "runtime_pool_size",
        "webhook_body_seconds",
        "media_max_bytes",
        "media_upload_workers",
    }
)


@dataclass(frozen=True)
class Settings:
    """Everything the stages need to know about their surroundings."""

    notion_token: str | None = field(default=None, repr=False)
    notion_data_source_id: str | None = None
    notion_database_id: str | None = None
    notion_base_url: str = "https://api.notion.com"
    github_token: str | None = field(default=None, repr=False)
    github_repository: str | None = None
    github_api_url: str = "https://api.github.com"
    database_url: str | None = field(default=None, repr=False)
    # a read-only role on production, for `deploy --dry-run --impact` (docs/operations.md has its SQL)
    database_readonly_url: str | None = field(default=None, repr=False)
    modules_dir: Path = Path("data/modules")
    assets_dir: Path | None = None
    pgdata_dir: Path = Path(".pipeline/pgdata")  # the embedded PostgreSQL, used when DATABASE_URL is unset
    source_commit: str | None = None  # the commit being deployed (Actions sets GITHUB_SHA)
    notion_webhook_secret: str | None = field(default=None, repr=False)
    notion_guide_url: str | None = None  # the page team leads read: linked from every comment export leaves
    github_server_url: str = "https://github.com"
    github_run_id: str | None = None  # set by Actions: the run a commit status links to
    notion_bot_user_id: str | None = None  # the integration's own user: the webhook ignores events only it wrote
    webhook_coalesce_seconds: float = 30.0  # the webhook sends at most one dispatch per page in this window
    webhook_body_seconds: float = 10.0  # under gunicorn, a request's whole body must arrive within this
    webhook_client_connections: int = 64  # open connections per client address under gunicorn; 0: no cap (proxy)
    notion_requests_per_second: float = 3.0  # Notion allows 3 on average; the exporter paces itself under it
    notion_timeout_seconds: float = 60.0
    notion_retry_seconds: float = 1.0  # first back-off after a Notion 5xx or dropped connection; doubles each time
    # PyGithub's GithubRetry: retries of 5xx/403-rate-limit/dropped connections, urllib3 backoff factor, and the
    # wait after a secondary rate limit without Retry-After; the pacing defaults are PyGithub's own.
    github_retries: int = 5
    github_backoff_factor: float = 1.0
    github_rate_limit_wait: float = 60.0
    github_seconds_between_requests: float = 0.25
    github_seconds_between_writes: float = 1.0
    # The runtime API: "production" refuses to start without a real key (so does any non-loopback --host).
    runtime_env: str = "development"
    runtime_jwt_secret: str | None = field(default=None, repr=False)  # HS256 shared with the LMS
    runtime_jwks_url: str | None = None  # RS256: the LMS's JSON Web Key Set
    runtime_jwt_audience: str = "frames-runtime"
    runtime_jwt_issuer: str | None = None  # required in production
    runtime_cache_seconds: float = 1.0  # how long a worker trusts its copy of a module's current revision
    runtime_pool_size: int = 8  # database connections per worker process (= its threads)
    # Media (docs/media.md): MEDIA_BUCKET unset = the local folder media_dir, served by `serve` at /media/.
    media_bucket: str | None = None
    media_endpoint_url: str | None = None  # an S3-compatible service (R2, B2, MinIO); unset = AWS S3
    media_base_url: str | None = None  # the CDN: the object with key K is at {MEDIA_BASE_URL}/{K}
    media_dir: Path = Path(".pipeline/media")
    media_max_bytes: int = 500 * 1024 * 1024  # a bigger file is refused at export, in words, on the page
    media_upload_workers: int = 8  # parallel uploads
    media_gc_grace_days: float = 30.0  # gc deletes only what has been unreferenced this long
    runtime_lms_origin: str | None = None  # the LMS that frames /learn/ and posts it the student's token

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read settings from `env` (default: os.environ); non-None `overrides` win (command-line flags)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for name, variable in _ENV_NAMES.items():
            raw = env.get(variable, "").strip()
            if raw:
                values[name] = (
                    Path(raw)
                    if name in ("modules_dir", "assets_dir", "pgdata_dir", "media_dir")
                    else _number(name, raw, variable)
                )
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**values)  # type: ignore[arg-type]

    @property
    def resolved_assets_dir(self) -> Path:
        """data/assets beside data/modules unless ASSETS_DIR says otherwise."""
        return self.assets_dir if self.assets_dir is not None else self.modules_dir.parent / "assets"

    @property
    def guide_url(self) -> str | None:
        """Where team leads read how to write a page: NOTION_GUIDE_URL, else the guide in the GitHub repository."""
        if self.notion_guide_url:
            return self.notion_guide_url
        if self.github_repository:
            return f"{self.github_server_url.rstrip('/')}/{self.github_repository}/blob/main/docs/notion-template.md"
        return None

    @property
    def run_url(self) -> str | None:
        """The Actions run this process is (GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID)."""
        if self.github_run_id and self.github_repository:
            return f"{self.github_server_url.rstrip('/')}/{self.github_repository}/actions/runs/{self.github_run_id}"
        return None

    def require(self, *names: str) -> None:
        """Raise ConfigError naming every missing environment variable among `names` (field names)."""
        missing = [_ENV_NAMES.get(n, n) for n in names if not getattr(self, n)]
        if missing:
            raise ConfigError(
                f"missing configuration: {', '.join(missing)} (set the environment variable(s); see docs/operations.md)"
            )
        for name in names:
            _require_sendable(_ENV_NAMES.get(name, name), getattr(self, name))

    def http_url(self, name: str, default_hint: str) -> str:
        """The URL setting `name` without its trailing slash; ConfigError unless it is http(s)://host…"""
        url = str(getattr(self, name)).strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"{_ENV_NAMES[name]}={mask_url(url)!r} is not an http(s) URL; "
                f"unset it to use {default_hint}, or write it as https://host[:port]"
            )
        return url.rstrip("/")

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the non-None `overrides` applied."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _require_sendable(variable: str, value: object) -> None:
    """Tokens travel in HTTP headers: a pasted invisible or typographic character would crash the SDK mid-request."""
    if variable.endswith("_TOKEN") and isinstance(value, str):
        bad = next(((i, c) for i, c in enumerate(value) if not ("!" <= c <= "~")), None)
        if bad is not None:
            raise ConfigError(
                f"{variable} holds a character that cannot be sent (U+{ord(bad[1]):04X} at position "
                f"{bad[0] + 1}); copy the token again, without spaces or invisible characters"
            )


def _number(name: str, raw: str, variable: str) -> object:
    convert = _NUMBER_FIELDS.get(name)
    if convert is None:
        return raw
    try:
        value = convert(raw)
    except ValueError:
        raise ConfigError(f"{variable}={raw!r} is not a {convert.__name__}; give a number such as 3") from None
    if not math.isfinite(value):  # inf/nan parse as floats, then crash the SDKs that turn them into milliseconds
        raise ConfigError(f"{variable}={raw!r} is not a finite number; give a number such as 3")
    if name in _POSITIVE_FIELDS and not value > 0:
        raise ConfigError(f"{variable}={raw!r} must be a positive number, such as 3")
    if value < 0:
        raise ConfigError(f"{variable}={raw!r} is negative; give 0 or more")
    return value


# The password runs to the LAST "@" before the path: an unescaped "@" in it must not leave its tail on show.
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^/\s]*)@")
# Signed S3 URLs (Notion's file links) carry a credential, a session token and a signature in their query.
_QUERY_SECRET = re.compile(
    r"(?i)([?&](?:password|sslpassword|token|access_token|x-amz-credential|x-amz-security-token|x-amz-signature)=)"
    r"[^&\s\"']*"
)


def mask_url(url: str) -> str:
    """`postgresql://user:secret@host/db` -> `postgresql://user:***@host/db`; query secrets masked too."""
    masked = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)
    return _QUERY_SECRET.sub(r"\1***", masked)


def redact(text: str, settings: Settings | None = None, extra_secrets: tuple[str, ...] = ()) -> str:
    """Remove every known secret value (and URL passwords) from `text` before it is shown."""
    secrets = list(extra_secrets)
    if settings is not None:
        secrets += [getattr(settings, n) for n in SECRET_FIELDS if hasattr(settings, n)]
    # The password on its own too: the drivers show the URL rewritten (postgresql+psycopg2://, a space kept as is).
    secrets += [pw for s in secrets if s and "://" in s for pw in _url_passwords(s)]
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, mask_url(secret) if "://" in secret else "***")
    return mask_url(text)


def _url_passwords(url: str) -> list[str]:
    """The password of `url` as written and as decoded (empty when it has none or cannot be parsed)."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return [password, unquote(password)] if password else []


class RedactingFilter(logging.Filter):
    """Log lines go through redact() too: the SDKs log URLs (signed file links) and upstream messages echo tokens.

    Add it to a handler (not a logger): a handler's filters see the records of every logger that reaches it."""

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings

    def filter(self, record: logging.LogRecord) -> bool:
        with contextlib.suppress(Exception):  # a malformed log call: let logging report it as it would have
            record.msg, record.args = redact(record.getMessage(), self.settings), None
        return True


def redact_handlers(handlers: list[logging.Handler], settings: Settings | None = None) -> RedactingFilter:
    """Put one RedactingFilter on each of `handlers` (once: a handler that has one gets its settings updated)."""
    redacting = RedactingFilter(settings)
    for handler in handlers:
        found = next((f for f in handler.filters if isinstance(f, RedactingFilter)), None)
        if found is None:
            handler.addFilter(redacting)
        elif settings is not None:
            found.settings = settings
    return redacting
