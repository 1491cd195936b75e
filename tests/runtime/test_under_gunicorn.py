"""The runtime API under gunicorn, started with pipeline/runtime/gunicorn_conf.py as production starts it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from pipeline.settings import Settings
from tests.paths import REPO_ROOT
from tests.runtime.live import ISSUER, SECRET, make_token
from tests.webhook.gunicorn_server import RUNTIME_COMMAND, Gunicorn, free_port, start_gunicorn

pytestmark = pytest.mark.slow
WORKERS = ["--workers", "2"]  # the config's 4 are for production; 2 start faster on a test machine


def runtime_environment(database_url: str, home: Path, **changes: str) -> dict[str, str]:
    """The API's production environment for a test (an empty value in `changes` unsets that variable)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),  # where gunicorn would put its control socket
        "DATABASE_URL": database_url,
        "RUNTIME_JWT_SECRET": SECRET,
        "RUNTIME_JWT_ISSUER": ISSUER,
        "RUNTIME_POOL_SIZE": "2",
        **changes,
    }
    return {name: value for name, value in env.items() if value}


@pytest.fixture
def runtime_gunicorn(deployed: Settings, tmp_path: Path) -> Iterator[Callable[..., Gunicorn]]:
    servers: list[Gunicorn] = []

    def start(**changes: str) -> Gunicorn:
        env = runtime_environment(deployed.database_url or "", tmp_path, **changes)
        server = start_gunicorn(env, tmp_path / f"runtime-{len(servers)}.log", [*RUNTIME_COMMAND, *WORKERS])
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_gunicorn_without_a_key_exits_2_at_once_with_one_message(deployed: Settings, tmp_path: Path) -> None:
    env = runtime_environment(deployed.database_url or "", tmp_path, RUNTIME_JWT_SECRET="")
    done = subprocess.run(
        [sys.executable, *RUNTIME_COMMAND, *WORKERS, "--bind", f"127.0.0.1:{free_port()}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert output.count("error: the runtime API refuses to start without a real key") == 1, output
    assert "Booting worker" not in output and "Traceback" not in output


def test_answers_carry_no_store_nosniff_and_no_control_socket_is_opened(
    runtime_gunicorn: Callable[..., Gunicorn], tmp_path: Path
) -> None:
    server = runtime_gunicorn()
    headers = {"Authorization": f"Bearer {make_token('alice')}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        progress = client.get("/api/v1/me/modules/lab-safety-101/progress")
        listed = client.get("/api/v1/modules")
        module = client.get("/api/v1/modules/lab-safety-101")
        refused = client.get("/api/v1/modules", headers={"Authorization": ""})

    for answer in (progress, listed, refused):
        assert answer.headers["Cache-Control"] == "private, no-store", answer.url
    assert module.headers["Cache-Control"] == "private, no-cache"  # revalidated by its ETag
    for answer in (progress, listed, module, refused):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert not (tmp_path / ".gunicorn").exists(), "gunicorn opened its shared control socket"
