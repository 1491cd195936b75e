"""NotionGateway: the pipeline's only door to Notion — paced, retried, and speaking pipeline.errors.NotionError."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from notion_client import Client
from notion_client.client import RetryOptions
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from pipeline.errors import ConfigError, NotionError
from pipeline.notion.properties import status_filter
from pipeline.settings import Settings, redact

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504, 529})
_TRANSIENT_CODES = frozenset({"timeout", "connection_error", "rate_limited", "service_overload"})
# notion-client does not know the code `service_overload`: a 529 arrives as `notionhq_client_response_error`.
OVERLOADED = 529
_ADVICE = {
    "unauthorized": "check NOTION_TOKEN (the integration's secret)",
    "restricted_resource": "give the integration the missing capability in Notion's integration settings",
    "object_not_found": "share the page or database with the integration (page menu → Connections)",
    "validation_error": "fix the value named above in Notion",
    "rate_limited": "Notion is rate limiting this integration; wait a few minutes and run the export again",
    "service_overload": "Notion is overloaded; wait a few minutes and run the export again",
    "conflict_error": "someone edited the page at the same time; run the export again",
}


class RequestPacer:
    """Spaces request starts evenly so the average stays under `per_second` (shared by all threads)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, _request: object = None) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


def is_transient(error: NotionError) -> bool:
    """An outage (timeout, dropped connection, 5xx, rate limit that outlasted the retries): run again later."""
    return error.code in _TRANSIENT_CODES or (error.status or 0) >= 500


class ExpiredFileURL(NotionError):
    """A Notion-hosted file's signed URL has expired (S3 answers 403): re-fetch the block for a fresh one."""


class FileTooLarge(NotionError):
    """A Notion-hosted file is over the download limit; `size` is its declared size when the server said it."""

    def __init__(self, message: str, size: int | None) -> None:
        self.size = size
        super().__init__(message, code="file_too_large")


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str


class NotionGateway:
    """Typed operations on the Module Library over notion-client, with the token kept out of every message."""

    def __init__(
        self,
        settings: Settings,
        *,
        attempts: int = 3,
        backoff_seconds: float | None = None,
        needs_library: bool = True,
    ) -> None:
        """`needs_library=False` for `notion init`, which creates the Module Library the other commands read."""
        settings.require("notion_token")
        if needs_library and not (settings.notion_data_source_id or settings.notion_database_id):
            raise ConfigError(
                "missing configuration: NOTION_DATA_SOURCE_ID (or NOTION_DATABASE_ID) "
                "— the Module Library data source to export from"
            )
        self._settings = settings
        self._base_url = settings.http_url("notion_base_url", "https://api.notion.com")
        self._data_source_id = settings.notion_data_source_id
        self._status_type = "status"  # the Status filter's type; "select" once Notion says the column is a select
        backoff_seconds = settings.notion_retry_seconds if backoff_seconds is None else backoff_seconds
        self.attempts, self.backoff_seconds = attempts, backoff_seconds
        self.pacer = RequestPacer(settings.notion_requests_per_second)
        timeout = settings.notion_timeout_seconds
        http = httpx.Client(event_hooks={"request": [self.pacer.wait]})  # paces the SDK's own retries too
        # notion-client types each sync method as `SyncAsync[Any]` (dict or awaitable); ours is the sync Client.
        self.sdk: Any = Client(
            client=http,
            auth=settings.notion_token,
            base_url=self._base_url,
            timeout_ms=int(timeout * 1000),
            logger=logging.getLogger("pipeline.notion.sdk"),
            retry=RetryOptions(
                max_retries=4, initial_retry_delay_ms=int(backoff_seconds * 1000), max_retry_delay_ms=60_000
            ),
        )
        self._bot_user_id: str | None = None
        # Signed file URLs point at S3, which must never see the Notion token: a separate, unpaced client.
        self._files = httpx.Client(timeout=timeout, follow_redirects=True)

    def close(self) -> None:
        self.sdk.close()
        self._files.close()

    def __enter__(self) -> NotionGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the data source ---

    @property
    def data_source_id(self) -> str:
        """NOTION_DATA_SOURCE_ID, or the first data source of NOTION_DATABASE_ID (looked up once)."""
        if self._data_source_id is None:
            database_id = self._settings.notion_database_id
            database = self._call(lambda: self.sdk.databases.retrieve(database_id), f"database {database_id}")
            sources = database.get("data_sources") or []
            if not sources:
                raise NotionError(f"Notion database {database_id} has no data source; set NOTION_DATA_SOURCE_ID")
            if len(sources) > 1:
                log.warning(
                    "database %s has %d data sources; using the first, %r (set NOTION_DATA_SOURCE_ID to choose)",
                    database_id,
                    len(sources),
                    sources[0].get("name"),
                )
            self._data_source_id = sources[0]["id"]
        return self._data_source_id

    def retrieve_data_source(self) -> dict[str, Any]:
        return self._call(
            lambda: self.sdk.data_sources.retrieve(self.data_source_id), f"data source {self.data_source_id}"
        )

    def query_pages(
        self, status: str | tuple[str, ...] | None = "Ready", edited_since: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Pages of the data source with that Status, or any of those (None: all), optionally edited on or after
        an ISO time."""
        try:
            yield from self._query_pages(status, edited_since)
        except NotionError as error:
            # Filters are typed: a `status` condition on a select column is a 400 validation_error. Many Module
            # Libraries (and `notion init` where Notion cannot create a status column) use a select named Status.
            if status is None or error.code != "validation_error" or self._status_type != "status":
                raise
            self._status_type = "select"
            yield from self._query_pages(status, edited_since)

    def _query_pages(self, status: str | tuple[str, ...] | None, edited_since: str | None) -> Iterator[dict[str, Any]]:
        conditions: list[dict[str, Any]] = []
        if status is not None:
            names = (status,) if isinstance(status, str) else status
            conditions.append(status_filter(self._status_type, names))
        if edited_since is not None:
            conditions.append({"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": edited_since}})
        query: dict[str, Any] = {
            "page_size": 100,
            "sorts": [{"timestamp": "last_edited_time", "direction": "ascending"}],
        }
        if conditions:
            query["filter"] = conditions[0] if len(conditions) == 1 else {"and": conditions}
        ds = self.data_source_id
        yield from self._paginate(
            lambda cursor: self.sdk.data_sources.query(ds, start_cursor=cursor, **query), f"query of data source {ds}"
        )

    def create_database(self, parent_page_id: str, title: str, properties: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/databases under a page, with the schema of its first data source (API 2025-09-03)."""
        # Not retried on 5xx: the database may exist already, and a second one would split the library.
        return self._call(
            lambda: self.sdk.databases.create(
                parent={"type": "page_id", "page_id": parent_page_id},
                title=[{"type": "text", "text": {"content": title}}],
                initial_data_source={"properties": properties},
            ),
            f"creation of a database under page {parent_page_id}",
            idempotent=False,
        )

    def update_data_source_properties(self, data_source_id: str, properties: dict[str, Any]) -> dict[str, Any]:
        """Add, change or remove properties of a data source (PATCH /v1/data_sources/{id})."""
        return self._call(
            lambda: self.sdk.data_sources.update(data_source_id, properties=properties),
            f"update of data source {data_source_id}",
        )

    def bot_user_id(self) -> str:
        """The integration's own user (`GET /v1/users/me`, looked up once): its writes set last_edited_by to it."""
        if self._bot_user_id is None:
            me = self._call(lambda: self.sdk.users.me(), "lookup of the integration's own user")
            self._bot_user_id = str(me["id"])
        return self._bot_user_id

    # --- pages and blocks ---

    def retrieve_page(self, page_id: str) -> dict[str, Any]:
        return self._call(lambda: self.sdk.pages.retrieve(page_id), f"page {page_id}", page_id)

    def relation_ids(self, page_id: str, property_id: str) -> list[str]:
        """All ids of a relation property (a page object shows at most 25; this endpoint pages through the rest)."""
        items = self._paginate(
            lambda cursor: self.sdk.pages.properties.retrieve(page_id, property_id, start_cursor=cursor, page_size=100),
            f"relation {property_id} of page {page_id}",
            page_id,
        )
        return [item["relation"]["id"] for item in items]

    def retrieve_block(self, block_id: str, page_id: str | None = None) -> dict[str, Any]:
        return self._call(lambda: self.sdk.blocks.retrieve(block_id), f"block {block_id}", page_id)

    def list_children(self, block_id: str, page_id: str | None = None) -> list[dict[str, Any]]:
        return list(
            self._paginate(
                lambda cursor: self.sdk.blocks.children.list(block_id, start_cursor=cursor, page_size=100),
                f"children of block {block_id}",
                page_id,
            )
        )

    def fetch_block_tree(self, block_id: str, page_id: str | None = None) -> list[dict[str, Any]]:
        """The blocks under `block_id` in order; a block with children carries them under "children".

        A synced_block reference carries its original's children.
        """
        page_id = page_id or block_id
        blocks = self.list_children(block_id, page_id)
        for block in blocks:
            if not block.get("has_children"):
                continue
            source = block["id"]
            if block.get("type") == "synced_block":
                synced_from = (block.get("synced_block") or {}).get("synced_from") or {}
                source = synced_from.get("block_id") or source
            block["children"] = self.fetch_block_tree(source, page_id)
        return blocks

    def update_page_properties(self, page_id: str, properties: dict[str, Any]) -> dict[str, Any]:
        """Set page properties in Notion's value shapes (status/select {"name"}, url string, date {"start"})."""
        return self._call(
            lambda: self.sdk.pages.update(page_id, properties=properties), f"update of page {page_id}", page_id
        )

    # --- comments ---

    def create_comment(self, page_id: str, text: str) -> dict[str, Any]:
        # Not retried on 5xx: a comment might have been created before the error; the next run deduplicates.
        chunks = [text[i : i + 2000] for i in range(0, len(text), 2000)][:100]
        rich_text = [{"type": "text", "text": {"content": chunk}} for chunk in chunks]
        return self._call(
            lambda: self.sdk.comments.create(parent={"page_id": page_id}, rich_text=rich_text),
            f"comment on page {page_id}",
            page_id,
            idempotent=False,
        )

    def list_comments(self, page_id: str) -> list[dict[str, Any]]:
        return list(
            self._paginate(
                lambda cursor: self.sdk.comments.list(block_id=page_id, start_cursor=cursor, page_size=100),
                f"comments of page {page_id}",
                page_id,
            )
        )

    # --- files ---

    def download(self, url: str, limit: int = MAX_DOWNLOAD_BYTES) -> Download:
        """The bytes behind a Notion-hosted file URL (at most `limit`); ExpiredFileURL when S3 answers 403."""
        where = url.split("?", 1)[0]  # the query string holds the signature: keep it out of messages
        for attempt in range(self.attempts):
            try:
                with self._files.stream("GET", url) as response:
                    if response.status_code == 403:
                        raise ExpiredFileURL(
                            f"the signed URL of {where} has expired", code="file_url_expired", status=403
                        )
                    if response.status_code in _TRANSIENT_STATUSES and attempt + 1 < self.attempts:
                        self._sleep(attempt)
                        continue
                    if response.status_code != 200:
                        raise NotionError(
                            f"downloading {where} failed with HTTP {response.status_code}", status=response.status_code
                        )
                    declared = int(response.headers.get("Content-Length") or 0)
                    if declared > limit:
                        raise FileTooLarge(f"{where} is {declared} bytes, over the {limit}-byte limit", declared)
                    content = bytearray()
                    for chunk in response.iter_bytes():
                        content += chunk
                        if len(content) > limit:
                            raise FileTooLarge(f"{where} is over the {limit}-byte limit for module media", None)
                    return Download(bytes(content), response.headers.get("Content-Type", "").split(";")[0].strip())
            except httpx.TransportError as error:
                if attempt + 1 >= self.attempts:
                    raise NotionError(
                        f"downloading {where} failed: {type(error).__name__}; run the export again",
                        code="connection_error",
                    ) from None
                self._sleep(attempt)
        raise AssertionError("unreachable")

    # --- plumbing ---

    def _paginate(self, fetch: Callable[[str | None], dict], what: str, page_id: str | None = None) -> Iterator[dict]:
        cursor: str | None = None
        while True:
            response = self._call(functools.partial(fetch, cursor), what, page_id)
            yield from response.get("results", [])
            cursor = response.get("next_cursor")
            if not response.get("has_more") or not cursor:
                return

    def _sleep(self, attempt: int, retry_after: float | None = None) -> None:
        time.sleep(retry_after if retry_after is not None else min(self.backoff_seconds * (2**attempt), 30.0))

    def _call(self, operation: Callable[[], T], what: str, page_id: str | None = None, *, idempotent: bool = True) -> T:
        """Run one SDK call; retry what the SDK does not (dropped connections, timeouts, 502/504, 5xx on POST reads)."""
        for attempt in range(self.attempts):
            try:
                return operation()
            except (httpx.TransportError, RequestTimeoutError, HTTPResponseError) as error:
                status = getattr(error, "status", None)
                transient = status is None or status in _TRANSIENT_STATUSES or status == 429
                if not (idempotent and transient) or attempt + 1 >= self.attempts:
                    raise self._translate(error, what, page_id) from None
                log.info("Notion %s failed (%s); retrying", what, getattr(error, "code", type(error).__name__))
                self._sleep(attempt, _retry_after(error))
        raise AssertionError("unreachable")

    def _translate(self, error: Exception, what: str, page_id: str | None) -> NotionError:
        status = getattr(error, "status", None)
        code = getattr(error, "code", None)
        code = getattr(code, "value", code)
        if isinstance(error, RequestTimeoutError):
            code = "timeout"
            seconds = self._settings.notion_timeout_seconds
            detail = f"Notion did not answer within {seconds:g} s (NOTION_TIMEOUT_SECONDS)"
        elif isinstance(error, httpx.TransportError):
            code = "connection_error"
            detail = f"the connection to Notion at {self._base_url} failed ({type(error).__name__})"
        elif status == OVERLOADED:
            code = "service_overload"
            detail = f"Notion answered HTTP {OVERLOADED} (service overloaded) after {self.attempts} attempts"
        else:
            detail = str(error) or f"HTTP {status}"
        advice = _ADVICE.get(
            str(code),
            "Notion had a temporary problem; run the export again later"
            if status is None or status >= 500
            else "see Notion's message above",
        )
        if code == "connection_error":  # a wrong NOTION_BASE_URL fails the same way as an outage: name both
            advice = "check the network and NOTION_BASE_URL (unset, it means https://api.notion.com), then run again"
        # An id in the request path is ours (NOTION_DATA_SOURCE_ID, --page), not a value a team lead can fix in Notion.
        bad_id = code == "validation_error" and "path failed validation" in detail
        if bad_id:
            advice = (
                "that is not a Notion id (32 hexadecimal digits, dashes optional); "
                "check NOTION_DATA_SOURCE_ID, NOTION_DATABASE_ID or the --page argument"
            )
        page = f" (Notion page {page_id})" if page_id and page_id not in what else ""
        message = f"Notion {what}{page} failed: {code or status}: {detail} — {advice}"
        return NotionError(
            redact(message, self._settings),
            code=str(code) if code else None,
            status=status,
            exit_code=2 if code == "unauthorized" or bad_id else 1,
        )


def _retry_after(error: Exception) -> float | None:
    """Seconds from a Retry-After header (429, and 529 service_overload which notion-client does not retry)."""
    headers = getattr(error, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return min(float(value), 60.0) if value else None
    except ValueError:
        return None
