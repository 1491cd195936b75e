"""Benchmark: the webhook receiver's answer time over real HTTP (werkzeug threaded server, loopback GitHub).

    python benchmarks/webhook.py [--events N] [--runs R]

Prints medians per request for: a dispatched event (verify + POST to GitHub), an ignored event, a bad signature.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.settings import Settings
from pipeline.webhook import create_app, signature_for

EVENT = Path(__file__).resolve().parent.parent / "tests" / "data" / "webhook" / "page_properties_updated.json"
SECRET = "secret_benchmark"


class _GitHub(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _serve(server) -> None:
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


def _event(parent: dict | None = None) -> bytes:
    event = json.loads(EVENT.read_text())
    event["id"] = str(uuid.uuid4())
    event["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    if parent is not None:
        event["data"]["parent"] = parent
    return json.dumps(event).encode()


def _time_requests(client: httpx.Client, url: str, bodies: list[bytes], sign: bool, expect: int) -> float:
    started = time.perf_counter()
    for body in bodies:
        signature = signature_for(SECRET if sign else "wrong", body)
        response = client.post(url, content=body, headers={"X-Notion-Signature": signature})
        assert response.status_code == expect, response.text
    return (time.perf_counter() - started) / len(bodies) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("pipeline.webhook").setLevel(logging.ERROR)

    github = ThreadingHTTPServer(("127.0.0.1", 0), _GitHub)
    _serve(github)
    settings = Settings(
        notion_webhook_secret=SECRET,
        notion_data_source_id="248104cd-477e-80af-bc30-000bd28de8f9",
        github_token="ghs_bench",
        github_repository="o/r",
        github_api_url=f"http://127.0.0.1:{github.server_address[1]}",
    )
    receiver = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    _serve(receiver)
    url = f"http://127.0.0.1:{receiver.server_port}/notion/webhook"

    results: dict[str, list[float]] = {"dispatched (202)": [], "ignored (200)": [], "bad signature (401)": []}
    with httpx.Client() as client:
        for _ in range(args.runs):
            results["dispatched (202)"].append(
                _time_requests(client, url, [_event() for _ in range(args.events)], True, 202)
            )
            results["ignored (200)"].append(
                _time_requests(
                    client, url, [_event({"id": "x", "type": "page"}) for _ in range(args.events)], True, 200
                )
            )
            results["bad signature (401)"].append(
                _time_requests(client, url, [_event() for _ in range(args.events)], False, 401)
            )
    print(f"webhook receiver, {args.events} sequential requests x {args.runs} runs (median ms per request):")
    for name, runs in results.items():
        print(f"  {name:22s} {statistics.median(runs):6.2f} ms")
    base = statistics.median(results["ignored (200)"])
    print(f"  dispatch / ignored ratio: {statistics.median(results['dispatched (202)']) / base:.2f}x")
    receiver.shutdown()
    github.shutdown()


if __name__ == "__main__":
    main()
