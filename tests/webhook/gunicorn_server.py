"""The receiver as production runs it: gunicorn with pipeline.webhook.gunicorn_conf, in its own process."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.paths import REPO_ROOT

COMMAND = ["-m", "gunicorn", "-c", "python:pipeline.webhook.gunicorn_conf", "pipeline.webhook:wsgi_app()"]
RUNTIME_COMMAND = ["-m", "gunicorn", "-c", "python:pipeline.runtime.gunicorn_conf", "pipeline.runtime:wsgi_app()"]


@dataclass
class Gunicorn:
    """A running gunicorn: its base URL, its process and the file its output (access and error log) goes to."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> str:
        """Stop it gracefully, as a platform does on deploy (SIGTERM), and return its log."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(env: dict[str, str], log_path: Path, command: list[str] = COMMAND) -> Gunicorn:
    """Start gunicorn (`command`: the webhook receiver's, or RUNTIME_COMMAND) on a free port of 127.0.0.1 and wait
    until /healthz answers."""
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, *command, "--bind", f"127.0.0.1:{port}"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Gunicorn(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise AssertionError(f"gunicorn did not answer /healthz within 30 s:\n{server.log()}")


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll `condition` until it holds or `seconds` pass; returns its last value."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()
