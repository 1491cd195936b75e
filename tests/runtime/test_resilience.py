"""Under way: a deploy during a stream of reads, and the database stopped and restarted under load."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pgserver
import pytest

from pipeline.db.engine import engine_for, normalize_url, upgrade
from pipeline.deploy.apply import deploy
from pipeline.runtime import create_app
from pipeline.settings import Settings
from tests.module_builders import export_edit, text_section
from tests.paths import copy_sample_data
from tests.runtime.live import SECRET, LiveServer, make_token

pytestmark = pytest.mark.slow


def _marked(marker: str, extra_section: bool) -> Any:
    def edit(module: dict[str, Any]) -> None:
        module["title"] = f"Lab Safety 101 ({marker})"
        sections = [s for s in module["sections"] if s["section_id"] != "extra"]
        if extra_section:
            sections.append(text_section("extra", 0, "One more thing."))
        for number, section in enumerate(sections, start=1):
            section["section_number"] = number
            section["title"] = section["title"].split(" (")[0] + f" ({marker})"
        module["sections"] = sections

    return edit


def test_a_deploy_during_a_stream_of_reads_never_shows_a_mix(api: LiveServer, deployed: Settings) -> None:
    seen: list[dict[str, Any]] = []
    failures: list[str] = []
    stop = threading.Event()

    def read() -> None:
        with api.client("alice") as client:
            while not stop.is_set():
                answer = client.get("/api/v1/modules/lab-safety-101")
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code} {answer.text}")
                else:
                    seen.append(answer.json())

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        for number in range(6):
            export_edit(deployed.modules_dir, "lab-safety-101", _marked(f"v{number}", extra_section=number % 2 == 1))
            deploy(None, deployed)
    finally:
        stop.set()
        for reader in readers:
            reader.join()

    assert not failures
    revisions = {body["revision"] for body in seen}
    assert len(revisions) >= 3, "the reads should have seen several revisions"
    for body in seen:
        marker = body["title"].removeprefix("Lab Safety 101").strip(" ()") or None
        assert {s["title"].partition(" (")[2].rstrip(")") or None for s in body["sections"]} == {marker}
        if marker:
            assert ("extra" in {s["section_id"] for s in body["sections"]}) == (int(marker[1:]) % 2 == 1)
            assert body["revision"] == int(marker[1:]) + 2


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Settings]]:
    """A PostgreSQL of these tests alone (they stop it), migrated, with the samples deployed."""
    data = copy_sample_data(tmp_path_factory.mktemp("outage"))
    pgdata = Path(tempfile.mkdtemp(prefix="runtime-outage-pgdata-"))
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    url = normalize_url(server.get_uri())
    engine = engine_for(url)
    upgrade(engine)
    engine.dispose()
    settings = Settings(
        database_url=url, modules_dir=data / "modules", runtime_jwt_secret=SECRET, runtime_cache_seconds=0.0
    )
    deploy(None, settings)
    yield server, settings
    _start(server)  # stopped by a failed test: cleanup needs it running to stop it cleanly
    server.cleanup()
    shutil.rmtree(pgdata, ignore_errors=True)


def _stop(server: Any) -> None:
    pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def _start(server: Any) -> None:
    with server._lock:  # pgserver's own start-if-not-running, as get_server uses it
        server.ensure_postgres_running()


def test_the_database_stopped_and_restarted_under_load(own_postgres: tuple[Any, Settings]) -> None:
    server, settings = own_postgres
    api = LiveServer(create_app(settings, host="127.0.0.1"))
    answers: list[tuple[float, int, str | None, str]] = []
    stop = threading.Event()
    headers = {"Authorization": f"Bearer {make_token('alice')}"}

    def load(path: str, method: str) -> None:
        with httpx.Client(base_url=api.base_url, headers=headers, timeout=30) as client:
            while not stop.is_set():
                answer = client.get(path) if method == "GET" else client.put(path, json={"state": "started"})
                error = answer.json().get("error") if answer.status_code != 200 else ""
                answers.append((time.monotonic(), answer.status_code, answer.headers.get("Retry-After"), error))
                time.sleep(0.01)

    workers = [
        threading.Thread(target=load, args=("/api/v1/modules/lab-safety-101", "GET")),
        threading.Thread(target=load, args=("/api/v1/modules", "GET")),
        threading.Thread(target=load, args=("/api/v1/me/modules/lab-safety-101/sections/welcome/progress", "PUT")),
    ]
    try:
        for worker in workers:
            worker.start()
        time.sleep(0.5)
        _stop(server)
        stopped_at = time.monotonic()
        time.sleep(1.5)
        restarting_at = time.monotonic()
        _start(server)
        started_at = time.monotonic()
        time.sleep(2.0)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
        api.close()

    during = [a for a in answers if stopped_at + 0.2 < a[0] < restarting_at]
    after = [a for a in answers if a[0] > started_at + 1.0]
    assert {status for _, status, _, _ in answers} <= {200, 503}
    assert during and all(status == 503 for _, status, _, _ in during)
    assert all(retry == "5" and error == "database_unavailable" for _, _, retry, error in during)
    assert after and all(status == 200 for _, status, _, _ in after), "no recovery without a restart"


def test_a_304_and_a_recent_module_need_no_database(own_postgres: tuple[Any, Settings]) -> None:
    server, settings = own_postgres
    api = LiveServer(create_app(replace(settings, runtime_cache_seconds=60.0), host="127.0.0.1"))
    try:
        with api.client("alice") as client:
            first = client.get("/api/v1/modules/lab-safety-101")
            _stop(server)
            revalidated = client.get("/api/v1/modules/lab-safety-101", headers={"If-None-Match": first.headers["ETag"]})
            again = client.get("/api/v1/modules/lab-safety-101")
            listed = client.get("/api/v1/modules")
    finally:
        api.close()
        _start(server)

    assert first.status_code == 200
    assert revalidated.status_code == 304
    assert again.status_code == 200 and again.content == first.content
    assert listed.status_code == 503  # the list does need the database: proof it was down
