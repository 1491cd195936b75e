"""Benchmark: the webhook receiver's answer time over real HTTP (loopback GitHub), and what coalescing saves.

    python benchmarks/webhook.py [--events N] [--runs R] [--server werkzeug|gunicorn]

Prints medians per request for: a dispatched event (verify + POST to GitHub), a coalesced event (verify, no POST),
an ignored event, a bad signature, and the two refusals that read a whole 256 KB body before answering (too deep,
refused before the signature; unsigned junk, refused after the nesting scan and the HMAC). Then a burst of N edits
of one page: how many dispatches GitHub received.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._options import parse_args
from pipeline.settings import Settings
from pipeline.webhook import MAX_BODY_BYTES, create_app, signature_for
from tests.webhook.gunicorn_server import start_gunicorn

EVENT = Path(__file__).resolve().parent.parent / "tests" / "data" / "webhook" / "page_properties_updated.json"
SECRET = "secret_benchmark"
BOT = "1edc05f6-2702-81b5-8408-00279347f034"
WINDOW_SECONDS = 1.0
DISPATCHES: list[float] = []


class _GitHub(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        DISPATCHES.append(time.monotonic())
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _serve(server: ThreadingHTTPServer) -> None:
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


def _event(parent: dict | None = None, page_id: str | None = None) -> bytes:
    event = json.loads(EVENT.read_text())
    event["id"] = str(uuid.uuid4())
    event["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    event["entity"]["id"] = page_id or str(uuid.uuid4())
    if parent is not None:
        event["data"]["parent"] = parent
    return json.dumps(event).encode()


def _time_requests(client: httpx.Client, url: str, bodies: list[bytes], key: str | None, expect: int) -> float:
    """Median-ready ms per request for `bodies`, signed with `key` (None: no signature header)."""
    started = time.perf_counter()
    for body in bodies:
        headers = {"X-Notion-Signature": signature_for(key, body)} if key else {}
        response = client.post(url, content=body, headers=headers)
        assert response.status_code == expect, response.text
    return (time.perf_counter() - started) / len(bodies) * 1000


def _start_receiver(server: str, github_url: str) -> tuple[str, Callable[[], object]]:
    if server == "gunicorn":
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "NOTION_WEBHOOK_SECRET": SECRET,
            "NOTION_DATA_SOURCE_ID": "248104cd-477e-80af-bc30-000bd28de8f9",
            "NOTION_BOT_USER_ID": BOT,
            "GITHUB_TOKEN": "ghs_bench",
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_API_URL": github_url,
            "PIPELINE_WEBHOOK_COALESCE_SECONDS": str(WINDOW_SECONDS),
            "GUNICORN_CMD_ARGS": "--access-logfile=/dev/null",
        }
        running = start_gunicorn(env, Path(tempfile.mkdtemp()) / "gunicorn.log")
        return running.url, running.stop
    settings = Settings(
        notion_webhook_secret=SECRET,
        notion_data_source_id="248104cd-477e-80af-bc30-000bd28de8f9",
        notion_bot_user_id=BOT,
        webhook_coalesce_seconds=WINDOW_SECONDS,
        github_token="ghs_bench",
        github_repository="o/r",
        github_api_url=github_url,
    )
    receiver = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    _serve(receiver)  # type: ignore[arg-type]
    return f"http://127.0.0.1:{receiver.server_port}", receiver.shutdown


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--server", choices=["werkzeug", "gunicorn"], default="werkzeug")
    args = parse_args(parser, {"events": 10, "runs": 1})
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("pipeline.webhook").setLevel(logging.CRITICAL)

    github = ThreadingHTTPServer(("127.0.0.1", 0), _GitHub)
    _serve(github)
    base, stop = _start_receiver(args.server, f"http://127.0.0.1:{github.server_address[1]}")
    url = f"{base}/notion/webhook"
    deep = b"[" * (MAX_BODY_BYTES // 2 - 1) + b"]" * (MAX_BODY_BYTES // 2 - 1)
    junk = json.dumps({"padding": "x" * (MAX_BODY_BYTES - 20)}).encode()
    n = args.events
    cases: dict[str, Callable[[httpx.Client], float]] = {
        "dispatched (202)": lambda c: _time_requests(c, url, [_event() for _ in range(n)], SECRET, 202),
        "coalesced (202)": lambda c: _time_requests(c, url, [_event(page_id=held) for _ in range(n)], SECRET, 202),
        "ignored (200)": lambda c: _time_requests(
            c, url, [_event({"id": "x", "type": "page"}) for _ in range(n)], SECRET, 200
        ),
        "bad signature (401)": lambda c: _time_requests(c, url, [_event() for _ in range(n)], "wrong", 401),
        "256 KB too deep (400)": lambda c: _time_requests(c, url, [deep] * max(1, n // 10), None, 400),
        "256 KB unsigned (401)": lambda c: _time_requests(c, url, [junk] * max(1, n // 10), None, 401),
    }
    results: dict[str, list[float]] = {name: [] for name in cases}
    with httpx.Client() as client:
        held = str(uuid.uuid4())
        client.post(
            url, content=(first := _event(page_id=held)), headers={"X-Notion-Signature": signature_for(SECRET, first)}
        )
        for _ in range(args.runs):
            for name, case in cases.items():
                results[name].append(case(client))
        time.sleep(WINDOW_SECONDS * 2)
        before = len(DISPATCHES)
        burst_page = str(uuid.uuid4())
        for _ in range(n):
            body = _event(page_id=burst_page)
            client.post(url, content=body, headers={"X-Notion-Signature": signature_for(SECRET, body)})
        time.sleep(WINDOW_SECONDS * 2.5)
        burst_dispatches = len(DISPATCHES) - before
    print(f"webhook receiver on {args.server}, {n} sequential requests x {args.runs} runs (median ms per request):")
    for name, runs in results.items():
        print(f"  {name:24s} {statistics.median(runs):7.2f} ms")
    ignored = statistics.median(results["ignored (200)"])
    print(f"  dispatch / ignored ratio: {statistics.median(results['dispatched (202)']) / ignored:.2f}x")
    print(
        f"  burst of {n} events of one page ({WINDOW_SECONDS:g} s window): {burst_dispatches} dispatches "
        f"({n / max(burst_dispatches, 1):.0f}x fewer GitHub calls than events)"
    )
    stop()
    github.shutdown()


if __name__ == "__main__":
    main()
