"""Delivering Notion webhook events to the receiver, and a GitHub `dispatches` endpoint that records them."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from pipeline.webhook import signature_for

DATA = Path(__file__).resolve().parent.parent / "data" / "webhook"
SECRET = "secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"
GITHUB_TOKEN = "ghs_dispatchTokenForTests0123456789"
REPOSITORY = "frames/modules"
DATA_SOURCE_ID = "248104cd-477e-80af-bc30-000bd28de8f9"
DATABASE_ID = "0ef104cd-477e-80e1-8571-cfd10e92339a"
# The integration's bot user (`accessible_by` of the recorded events; GET /v1/users/me answers it).
BOT_USER_ID = "1edc05f6-2702-81b5-8408-00279347f034"
_DOCS = "https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event"


@dataclass
class DispatchReceiver:
    """`POST /repos/{owner}/{repo}/dispatches` as GitHub answers it: 204, or 401/404/422 with GitHub's error body."""

    token: str
    repository: str
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    fail_with: int | None = None  # force an answer (e.g. 500) to test GitHub outages
    fail_message: str = "Server Error"  # its message (GitHub's are sometimes upstream text that echoes a request)
    times: list[float] = field(default_factory=list)  # time.monotonic() of each accepted dispatch

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any] | None]:
        if self.fail_with is not None:
            return self.fail_with, {
                "message": self.fail_message,
                "documentation_url": _DOCS,
                "status": str(self.fail_with),
            }
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest",
                "status": "401",
            }
        if path != f"/repos/{self.repository}/dispatches":
            return 404, {"message": "Not Found", "documentation_url": _DOCS, "status": "404"}
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, {"message": "Problems parsing JSON", "documentation_url": _DOCS, "status": "400"}
        event_type, client_payload = payload.get("event_type"), payload.get("client_payload", {})
        if not isinstance(event_type, str) or not 0 < len(event_type) <= 100:
            return 422, {
                "message": 'Invalid request.\n\n"event_type" wasn\'t supplied.',
                "documentation_url": _DOCS,
                "status": "422",
            }
        if not isinstance(client_payload, dict) or len(client_payload) > 10:
            return 422, {
                "message": "Invalid request.\n\nFor 'properties/client_payload', it must be an object "
                "with at most 10 properties.",
                "documentation_url": _DOCS,
                "status": "422",
            }
        self.received.append(payload)
        self.headers.append(headers)
        self.times.append(time.monotonic())
        return 204, None


def receiver_environment(github_url: str, **changes: str) -> dict[str, str]:
    """The receiver's environment variables for a test (an empty value in `changes` unsets that variable)."""
    env = {
        "NOTION_WEBHOOK_SECRET": SECRET,
        "NOTION_DATA_SOURCE_ID": DATA_SOURCE_ID,
        "NOTION_BOT_USER_ID": BOT_USER_ID,
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": github_url,
        **changes,
    }
    return {name: value for name, value in env.items() if value}


def recorded_event(name: str = "page_properties_updated", **changes: Any) -> dict[str, Any]:
    """A recorded Notion event, dated now (the receiver refuses old ones) with `changes` applied."""
    event = json.loads((DATA / f"{name}.json").read_text())
    event["timestamp"] = notion_time(datetime.now(UTC))
    event.update(changes)
    return event


def notion_time(moment: datetime) -> str:
    """A timestamp as Notion writes it: 2024-12-05T23:57:05.379Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def deliver(
    url: str, body: bytes | dict[str, Any], secret: str | None = SECRET, signature: str | None = None
) -> httpx.Response:
    """POST `body` to the receiver as Notion does: raw JSON, signed with `secret` unless told otherwise."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Notion-Signature"] = signature
    elif secret is not None:
        headers["X-Notion-Signature"] = signature_for(secret, raw)
    return httpx.post(f"{url}/notion/webhook", content=raw, headers=headers, timeout=10)
