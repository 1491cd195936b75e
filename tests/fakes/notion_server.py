"""A fake Notion API (2025-09-03) on 127.0.0.1 for notion-client to talk to, with fault injection and a request log."""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes import notion_objects as obj
from tests.fakes.notion_blocks import BlockSpec

NOTION_VERSION = "2025-09-03"
FAKE_TOKEN = "ntn_fake_secret_token_0123456789abcdef"
FILE_TTL = timedelta(hours=1)
WRITE_ROUTES = frozenset({"pages.update", "blocks.update", "comments.create"})


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    status: int
    route: str  # e.g. "blocks.children.list", "data_sources.query", "file"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class NotionFake:
    """In-memory Notion workspace served over real HTTP; see the builders (add_*, edit_block, set_status)."""

    def __init__(self, token: str = FAKE_TOKEN) -> None:
        self.token = token
        self._lock = threading.RLock()
        self.reset()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="notion-fake", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Forget all content, faults and the log (the fixture calls this between tests)."""
        with self._lock:
            self.data_sources: dict[str, dict] = {}
            self.databases: dict[str, dict] = {}
            self.pages: dict[str, dict] = {}
            self.blocks: dict[str, dict] = {}
            self.children: dict[str, list[str]] = {}
            self.comments: dict[str, list[dict]] = {}
            self.files: dict[str, tuple[bytes, str]] = {}  # key -> (content, content type)
            self.signed: dict[str, tuple[str, datetime]] = {}  # signature -> (file key, expiry)
            self.file_keys: dict[str, str] = {}  # block id -> file key
            self.log: list[LoggedRequest] = []
            self.clock_offset = timedelta(0)
            self.latency = 0.0
            self.faults: list[dict[str, Any]] = []
            # "Read comments" and "Insert comments" are separate capabilities of an integration
            self.read_comments = True
            self.insert_comments = True
            # Notion's changelog of 2026-03-19: status properties with custom options can be created by the API.
            # False answers as before it: a 400 validation_error for a status property in a schema.
            self.status_creation_supported = True
            self.relation_page_limit = 25
            self.stale_urls = 0  # how many of the next signed file URLs are handed out already expired
            self.rate_limit(None)

    # --- faults ---

    def rate_limit(self, per_second: float | None, burst: int = 3) -> None:
        """Answer 429 rate_limited (Retry-After in whole seconds) beyond `per_second` on average; None = off."""
        with self._lock:
            self._rate, self._burst = per_second, burst
            self._tokens, self._refilled = float(burst), time.monotonic()

    def inject(
        self,
        kind: str,
        *,
        count: int = 1,
        route: str | None = None,
        status: int = 500,
        seconds: float = 0.0,
        after: int = 0,
    ) -> None:
        """Schedule faults: kind "status" (answer `status`), "drop" (close the connection), "slow" (sleep)."""
        with self._lock:
            self.faults.append(
                {"kind": kind, "count": count, "route": route, "status": status, "seconds": seconds, "after": after}
            )

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def advance(self, **delta: float) -> None:
        """Move the fake's clock (edits and signed-URL expiry follow it)."""
        self.clock_offset += timedelta(**delta)

    def expire_files(self) -> None:
        """Make every signed file URL handed out so far expired."""
        with self._lock:
            past = self.now() - timedelta(seconds=1)
            self.signed = {sig: (key, past) for sig, (key, _) in self.signed.items()}

    def issue_expired_urls(self, count: int = 1) -> None:
        """Hand out the next `count` signed file URLs already expired (as if the export took over an hour)."""
        self.stale_urls = count

    # --- request log ---

    def count(self, route: str | None = None, status: int | None = None) -> int:
        return sum(
            1 for r in self.log if (route is None or r.route == route) and (status is None or r.status == status)
        )

    def counters(self) -> Counter[str]:
        return Counter(r.route for r in self.log)

    def clear_log(self) -> None:
        self.log.clear()

    def writes(self) -> list[LoggedRequest]:
        """The requests that changed something in the workspace (a query is a POST that only reads)."""
        return [r for r in self.log if r.route in WRITE_ROUTES]

    # --- builders ---

    def add_module_library(
        self, title: str = "Module Library", schema: dict[str, tuple[str, tuple[str, ...]]] | None = None
    ) -> tuple[str, str]:
        """A database with one data source holding the Module Library schema; returns (database_id, data_source_id)."""
        database_id, data_source_id = obj.new_id(), obj.new_id()
        schema = obj.MODULE_LIBRARY_SCHEMA if schema is None else schema
        properties = {
            name: obj.schema_property(name, kind, options, data_source_id, database_id)
            for name, (kind, options) in schema.items()
        }
        with self._lock:
            self.data_sources[data_source_id] = obj.data_source_object(data_source_id, database_id, title, properties)
            self.databases[database_id] = obj.database_object(
                database_id, title, [{"id": data_source_id, "name": title}]
            )
        return database_id, data_source_id

    def add_workspace_page(self, title: str = "Teams") -> str:
        """A page at the top of the workspace, shared with the integration (a parent for a new database)."""
        page_id = obj.new_id()
        stamp = obj.notion_time(self.now())
        with self._lock:
            page = obj.page_object(page_id, "", "", stamp, {"title": obj.property_value("title", "title", title)})
            page["parent"] = {"type": "workspace", "workspace": True}
            self.pages[page_id] = page
            self.children[page_id] = []
        return page_id

    def rename_property(self, data_source_id: str, old: str, new: str) -> None:
        with self._lock:
            props = self.data_sources[obj.dashed(data_source_id)]["properties"]
            props[new] = props.pop(old)
            props[new]["name"] = new

    def add_page(
        self,
        data_source_id: str,
        properties: dict[str, Any],
        blocks: list[BlockSpec] = (),
        edited: datetime | None = None,
        page_id: str | None = None,
    ) -> str:
        """A page in the data source with plain property values and a block tree; returns its id (`page_id`
        when given, dashed, e.g. to rebuild the page a sample module was exported from)."""
        ds = self.data_sources[obj.dashed(data_source_id)]
        page_id = obj.dashed(page_id) if page_id else obj.new_id()
        stamp = obj.notion_time(edited or self.now() - timedelta(minutes=10))
        values = {
            name: obj.property_value(name, spec["type"], properties.get(name))
            for name, spec in ds["properties"].items()
        }
        unknown = set(properties) - set(values)
        if unknown:
            raise KeyError(f"no such properties in the data source: {sorted(unknown)}")
        with self._lock:
            self.pages[page_id] = obj.page_object(page_id, ds["id"], ds["parent"]["database_id"], stamp, values)
            self.children[page_id] = []
            keys: dict[str, str] = {}
            self._add_blocks(page_id, {"type": "page_id", "page_id": page_id}, list(blocks), stamp, keys)
        return page_id

    def _add_blocks(self, parent_id: str, parent: dict, specs: list[BlockSpec], stamp: str, keys: dict) -> None:
        for spec in specs:
            block = obj.block_object(
                spec["type"],
                json.loads(json.dumps(spec["payload"])),
                parent=parent,
                edited=stamp,
                has_children=bool(spec["children"]) or "refers_to" in spec,
            )
            block_id = block["id"]
            if "key" in spec:
                keys[spec["key"]] = block_id
            if "refers_to" in spec:
                block["synced_block"]["synced_from"]["block_id"] = keys[spec["refers_to"]]
            if "file" in spec:
                key = hashlib.sha256(spec["file"]["content"]).hexdigest()[:16] + "/" + spec["file"]["name"]
                self.files[key] = (spec["file"]["content"], spec["file"]["content_type"])
                self.file_keys[block_id] = key
            self.blocks[block_id] = block
            self.children.setdefault(parent_id, []).append(block_id)
            self.children[block_id] = []
            self._add_blocks(block_id, {"type": "block_id", "block_id": block_id}, spec["children"], stamp, keys)

    def page_blocks(self, page_id: str) -> list[str]:
        """Ids of the page's top-level blocks, in order."""
        return list(self.children[obj.dashed(page_id)])

    def edit_block(self, block_id: str, text: str) -> None:
        """Change a text block's rich_text, as a person typing in Notion would (moves last_edited_time)."""
        with self._lock:
            block = self.blocks[obj.dashed(block_id)]
            block[block["type"]]["rich_text"] = obj.rich_text(text)
            self._touch(block)

    def set_property(self, page_id: str, name: str, value: Any) -> None:
        with self._lock:
            page = self.pages[obj.dashed(page_id)]
            kind = page["properties"][name]["type"]
            page["properties"][name] = obj.property_value(name, kind, value)
            page["last_edited_time"] = obj.notion_time(self.now())
            page["last_edited_by"] = dict(obj.PERSON_USER)

    def set_status(self, page_id: str, status: str) -> None:
        self.set_property(page_id, "Status", status)

    def property_of(self, page_id: str, name: str) -> Any:
        """The plain value of a page property (status/select name, url, date start, text)."""
        prop = self.pages[obj.dashed(page_id)]["properties"][name]
        value = prop[prop["type"]]
        if prop["type"] in ("status", "select"):
            return value and value["name"]
        if prop["type"] == "date":
            return value and value["start"]
        if prop["type"] in ("title", "rich_text"):
            return "".join(run["plain_text"] for run in value)
        return value

    def _touch(self, block: dict) -> None:
        stamp = obj.notion_time(self.now())
        block["last_edited_time"] = stamp
        parent = block["parent"]
        while parent["type"] == "block_id":
            parent = self.blocks[parent["block_id"]]["parent"]
        self.pages[parent["page_id"]]["last_edited_time"] = stamp
        self.pages[parent["page_id"]]["last_edited_by"] = dict(obj.PERSON_USER)

    # --- serving ---

    def sign_files(self, block: dict) -> dict:
        """A copy of `block` whose hosted file carries a fresh signed URL (as every Notion read does)."""
        key = self.file_keys.get(block["id"])
        if key is None:
            return block
        block = json.loads(json.dumps(block))
        expiry = self.now() + FILE_TTL
        if self.stale_urls > 0:
            self.stale_urls -= 1
            expiry = self.now() - FILE_TTL
        signature = obj.new_id().replace("-", "")
        self.signed[signature] = (key, expiry)
        block[block["type"]]["file"] = {
            # shaped like Notion's S3 URLs: temporary AWS credentials and a signature in the query string
            "url": f"{self.base_url}/s3/{key}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Credential=ASIAFAKEKEY%2F{expiry:%Y%m%d}%2Fus-west-2%2Fs3%2Faws4_request"
            f"&X-Amz-Date={expiry:%Y%m%dT%H%M%SZ}&X-Amz-Expires=3600&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEFAKE"
            f"&X-Amz-Signature={signature}&X-Amz-SignedHeaders=host&x-id=GetObject",
            "expiry_time": expiry.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        }
        return block

    def take_fault(self, route: str) -> dict | None:
        with self._lock:
            for fault in self.faults:
                if fault["route"] not in (None, route) or fault["count"] <= 0:
                    continue
                if fault["after"] > 0:
                    fault["after"] -= 1
                    continue
                fault["count"] -= 1
                return fault
        return None

    def take_rate_token(self) -> float:
        """0 when the request may pass, else the seconds until a token is free."""
        with self._lock:
            if self._rate is None:
                return 0.0
            now = time.monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._refilled) * self._rate)
            self._refilled = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self._rate


def _handler_for(fake: NotionFake) -> type[BaseHTTPRequestHandler]:
    from tests.fakes.notion_routes import dispatch

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _handle(self) -> None:
            # The log of the test this request belongs to: an answer still in flight when the next test resets the
            # fake (a client that timed out and moved on) must not appear in that test's log.
            log = fake.log
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            route = _route_name(self.command, parts.path)
            if fake.latency:
                time.sleep(fake.latency)
            fault = fake.take_fault(route)
            if fault and fault["kind"] == "drop":
                log.append(LoggedRequest(self.command, parts.path, 0, route))
                self.close_connection = True
                self.connection.shutdown(2)  # the client sees a connection closed without an answer
                return
            if fault and fault["kind"] == "slow":
                time.sleep(fault["seconds"])
            status, headers, body = self._answer(route, parts, raw, fault)
            log.append(LoggedRequest(self.command, parts.path, status, route))
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout test)
                self.close_connection = True

        def _answer(self, route: str, parts: Any, raw: bytes, fault: dict | None) -> tuple[int, dict, bytes]:
            json_headers = {"Content-Type": "application/json; charset=utf-8"}
            if route == "file":
                return _serve_file(fake, parts)
            try:
                if fault and fault["kind"] == "status":
                    code = {
                        500: "internal_server_error",
                        502: "bad_gateway",
                        503: "service_unavailable",
                        429: "rate_limited",
                        504: "gateway_timeout",
                    }.get(fault["status"], "internal_server_error")
                    if fault["status"] == 502:  # Notion's edge answers 502 with an HTML page, not JSON
                        return 502, {"Content-Type": "text/html"}, b"<html><body>502 Bad Gateway</body></html>"
                    if fault["status"] == 429:
                        raise _RateLimited(1)
                    if fault["status"] == 529:  # Notion's overload answer, with Retry-After like a 429
                        body = obj.error_body(529, "service_overload", "The service is overloaded; try again later.")
                        return 529, {**json_headers, "Retry-After": "1"}, json.dumps(body).encode()
                    raise ApiError(fault["status"], code, "Unexpected error occurred.")
                wait = fake.take_rate_token()
                if wait:
                    raise _RateLimited(max(1, math.ceil(wait)))
                _check_headers(fake, self.headers)
                body = json.loads(raw) if raw else {}
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                result = dispatch(fake, self.command, parts.path, query, body)
                result.setdefault("request_id", obj.new_id()) if isinstance(result, dict) else None
                return 200, json_headers, json.dumps(result).encode()
            except _RateLimited as limited:
                body = obj.error_body(
                    429, "rate_limited", "You have been rate limited. Please try again in a few minutes."
                )
                return 429, {**json_headers, "Retry-After": str(limited.seconds)}, json.dumps(body).encode()
            except ApiError as error:
                return (
                    error.status,
                    json_headers,
                    json.dumps(obj.error_body(error.status, error.code, error.message)).encode(),
                )
            except json.JSONDecodeError:
                body = obj.error_body(400, "invalid_json", "Error parsing JSON body.")
                return 400, json_headers, json.dumps(body).encode()

        do_GET = do_POST = do_PATCH = do_DELETE = _handle

    return Handler


class _RateLimited(Exception):
    def __init__(self, seconds: int) -> None:
        self.seconds = seconds


_ROUTES = [
    ("GET", r"/v1/data_sources/[^/]+", "data_sources.retrieve"),
    ("POST", r"/v1/data_sources/[^/]+/query", "data_sources.query"),
    ("PATCH", r"/v1/data_sources/[^/]+", "data_sources.update"),
    ("POST", r"/v1/databases", "databases.create"),
    ("GET", r"/v1/databases/[^/]+", "databases.retrieve"),
    ("GET", r"/v1/pages/[^/]+", "pages.retrieve"),
    ("PATCH", r"/v1/pages/[^/]+", "pages.update"),
    ("GET", r"/v1/pages/[^/]+/properties/[^/]+", "pages.properties.retrieve"),
    ("GET", r"/v1/blocks/[^/]+", "blocks.retrieve"),
    ("PATCH", r"/v1/blocks/[^/]+", "blocks.update"),
    ("GET", r"/v1/blocks/[^/]+/children", "blocks.children.list"),
    ("GET", r"/v1/users/me", "users.me"),
    ("GET", r"/v1/comments", "comments.list"),
    ("POST", r"/v1/comments", "comments.create"),
    ("GET", r"/s3/.+", "file"),
]


def _route_name(method: str, path: str) -> str:
    for route_method, pattern, name in _ROUTES:
        if method == route_method and re.fullmatch(pattern, path):
            return name
    return "unknown"


def _check_headers(fake: NotionFake, headers: Any) -> None:
    if headers.get("Authorization") != f"Bearer {fake.token}":
        raise ApiError(401, "unauthorized", "API token is invalid.")
    version = headers.get("Notion-Version")
    if version is None:
        raise ApiError(
            400,
            "missing_version",
            "Notion-Version header failed validation: Notion-Version header should be defined, "
            "instead was `undefined`.",
        )
    if version != NOTION_VERSION:
        raise ApiError(
            400,
            "validation_error",
            f"Notion-Version header failed validation: `{version}` is not supported "
            f"by this fake (it speaks {NOTION_VERSION}).",
        )


def _serve_file(fake: NotionFake, parts: Any) -> tuple[int, dict, bytes]:
    key = parts.path[len("/s3/") :]
    signature = parse_qs(parts.query).get("X-Amz-Signature", [""])[-1]
    with fake._lock:
        signed = fake.signed.get(signature)
    if signed is None or signed[0] != key or key not in fake.files:
        return (
            403,
            {"Content-Type": "application/xml"},
            (
                b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                b"<Message>Access Denied</Message></Error>"
            ),
        )
    if signed[1] <= fake.now():
        body = obj.S3_EXPIRED.format(
            expired=signed[1].strftime("%Y-%m-%dT%H:%M:%SZ"),
            now=fake.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            request_id=obj.new_id()[:16],
        )
        return 403, {"Content-Type": "application/xml"}, body.encode()
    content, content_type = fake.files[key]
    return 200, {"Content-Type": content_type}, content
