"""Webhook fixtures: a tiny GitHub that receives repository_dispatch, and the receiver on a real HTTP server."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from pipeline.settings import Settings
from pipeline.webhook import create_app
from tests.webhook.delivery import (
    BOT_USER_ID,
    DATA_SOURCE_ID,
    GITHUB_TOKEN,
    REPOSITORY,
    SECRET,
    DispatchReceiver,
    receiver_environment,
)
from tests.webhook.gunicorn_server import Gunicorn, start_gunicorn


@pytest.fixture
def github() -> Iterator[DispatchReceiver]:
    """A GitHub dispatch endpoint on 127.0.0.1 that records what it accepted."""
    receiver = DispatchReceiver(token=GITHUB_TOKEN, repository=REPOSITORY)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, answer = receiver.answer(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            data = json.dumps(answer).encode() if answer is not None else b""
            self.send_response(status)
            if data:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(github: DispatchReceiver) -> Settings:
    return Settings(
        notion_webhook_secret=SECRET,
        notion_data_source_id=DATA_SOURCE_ID,
        github_token=GITHUB_TOKEN,
        github_repository=REPOSITORY,
        github_api_url=github.url,
        notion_bot_user_id=BOT_USER_ID,
        webhook_coalesce_seconds=0.0,  # every event dispatches; the coalescing tests set a window
    )


@pytest.fixture
def start_receiver() -> Iterator[Callable[..., str]]:
    """Start `create_app(settings, **options)` on a real threaded server; returns its base URL."""
    servers = []

    def start(settings: Settings, **options: Any) -> str:
        server = make_server("127.0.0.1", 0, create_app(settings, **options), threaded=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def gunicorn(github: DispatchReceiver, tmp_path: Path) -> Iterator[Callable[..., Gunicorn]]:
    """Start the receiver under gunicorn as production does; `start(**env)` overrides its environment."""
    servers: list[Gunicorn] = []

    def start(**overrides: str) -> Gunicorn:
        env = receiver_environment(github.url, PATH=os.environ.get("PATH", "/usr/bin:/bin"), **overrides)
        server = start_gunicorn(env, tmp_path / f"gunicorn-{len(servers)}.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def receiver_url(start_receiver: Callable[..., str], settings: Settings) -> str:
    return start_receiver(settings)
